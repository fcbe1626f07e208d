import type { Identity, PeerId } from '@natkit/identity';
import { PeerError } from '../errors.js';
import { decodeInitPayload, prologueFor, staticKeyPairOf } from './handshake-payload.js';
import { readIkMessage1 } from './handshake-ik.js';
import { generateDhKeyPair, type DhKeyPair } from './noise-crypto.js';
import {
  decodeHandshakePacket,
  encodeHandshakeHeader,
  isConnectionId,
  PacketType,
  RESPONSE_PAYLOAD_LENGTH,
  writeU32,
  type ConnectionId,
} from './packet.js';
import { checkSessionOptions, Session, type SessionOptions } from './session.js';

export interface HandshakeResponderOptions {
  readonly identity: Identity;
  /** A connection id for a new session, unique among the caller's sessions. */
  readonly allocateId: () => ConnectionId;
  readonly session?: SessionOptions;
  /** How long the answer to an init is kept to answer its retransmissions (default 10,000 ms of `now`). */
  readonly retainMs?: number;
  /** At most this many answers kept (default 1024). */
  readonly maxRetained?: number;
  /** Remember the newest init timestamp of at most this many peers (default 65,536). */
  readonly maxPeers?: number;
  /** Tests only. */
  readonly generateEphemeral?: () => DhKeyPair;
}

export type ResponderDropReason = 'malformed' | 'auth' | 'identity-mismatch' | 'stale-timestamp';

export interface AcceptedHandshake {
  readonly session: Session;
  /** The handshake response to send back (to the address the init came from). */
  readonly response: Uint8Array;
  readonly remotePeerId: PeerId;
  /** True when this init was seen before: resend `response`; `session` is the one returned then. */
  readonly retransmit: boolean;
}

export type ResponderResult = { ok: true; value: AcceptedHandshake } | { ok: false; reason: ResponderDropReason };

interface Retained {
  readonly init: Uint8Array;
  readonly accepted: AcceptedHandshake;
  readonly expiresAt: number;
}

/**
 * Answers session handshakes for one identity. Pure apart from ephemeral key generation: init
 * bytes in, a session and response bytes out. A retransmitted init (same bytes) gets the same
 * response and session back; an init replayed later, or any init not newer (by its authenticated
 * timestamp) than the last accepted from that peer, is dropped, so a replay cannot displace a live
 * session. Everything that fails is dropped and counted, never thrown.
 */
export class HandshakeResponder {
  readonly dropped: Record<ResponderDropReason, number> = { malformed: 0, auth: 0, 'identity-mismatch': 0, 'stale-timestamp': 0 };
  readonly #options: HandshakeResponderOptions;
  readonly #static: DhKeyPair;
  readonly #retained = new Map<string, Retained>();
  readonly #latest = new Map<PeerId, number>();
  readonly #retainMs: number;
  readonly #maxRetained: number;
  readonly #maxPeers: number;

  constructor(options: HandshakeResponderOptions) {
    checkSessionOptions(options.session);
    this.#options = options;
    this.#static = staticKeyPairOf(options.identity);
    this.#retainMs = options.retainMs ?? 10_000;
    this.#maxRetained = options.maxRetained ?? 1024;
    this.#maxPeers = options.maxPeers ?? 65_536;
  }

  handleInit(packet: Uint8Array, now: number): ResponderResult {
    const drop = (reason: ResponderDropReason): ResponderResult => {
      this.dropped[reason]++;
      return { ok: false, reason };
    };
    const decoded = decodeHandshakePacket(packet, PacketType.HandshakeInit);
    if (!decoded.ok) return drop('malformed');
    this.#expire(now);
    const ephemeralHex = Buffer.from(decoded.value.noise.subarray(0, 32)).toString('hex');
    const seen = this.#retained.get(ephemeralHex);
    if (seen !== undefined && Buffer.from(seen.init).equals(packet)) return { ok: true, value: { ...seen.accepted, retransmit: true } };

    const read = readIkMessage1(prologueFor(decoded.value.header), this.#static, decoded.value.noise);
    if (read === undefined) return drop('auth');
    const payload = decodeInitPayload(read.payload, read.rs);
    if (!payload.ok) return drop(payload.reason);
    const { peerId, timestamp } = payload.value;
    const latest = this.#latest.get(peerId);
    if (latest !== undefined && timestamp <= latest) return drop('stale-timestamp');

    const localId = this.#options.allocateId();
    if (!isConnectionId(localId)) throw new PeerError('ERR_SESSION_CONFIG', `allocateId gave ${String(localId)}, not a u32`);
    const reply = new Uint8Array(RESPONSE_PAYLOAD_LENGTH);
    writeU32(reply, 0, localId);
    const written = read.respond((this.#options.generateEphemeral ?? generateDhKeyPair)(), reply);
    if (written === undefined) return drop('auth');
    this.#remember(peerId, timestamp);
    const session = new Session({
      role: 'responder',
      localId,
      remoteId: decoded.value.id,
      remotePeerId: peerId,
      handshakeHash: written.keys.handshakeHash,
      sendKey: written.keys.responderToInitiator,
      receiveKey: written.keys.initiatorToResponder,
      now,
      options: this.#options.session,
    });
    const response = Buffer.concat([encodeHandshakeHeader(PacketType.HandshakeResponse, decoded.value.id), written.message2]);
    const accepted: AcceptedHandshake = { session, response, remotePeerId: peerId, retransmit: false };
    this.#retained.set(ephemeralHex, { init: Uint8Array.from(packet), accepted, expiresAt: now + this.#retainMs });
    if (this.#retained.size > this.#maxRetained) this.#retained.delete(this.#retained.keys().next().value!);
    return { ok: true, value: accepted };
  }

  #remember(peerId: PeerId, timestamp: number): void {
    this.#latest.delete(peerId); // re-insert: the map's order is least recently accepted first
    this.#latest.set(peerId, timestamp);
    if (this.#latest.size > this.#maxPeers) this.#latest.delete(this.#latest.keys().next().value!);
  }

  #expire(now: number): void {
    for (const [key, entry] of this.#retained) {
      if (entry.expiresAt > now) break; // insertion order is expiry order
      this.#retained.delete(key);
    }
  }
}
