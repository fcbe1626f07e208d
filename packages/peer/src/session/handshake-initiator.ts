import { decodePeerId, toX25519PublicKey, type Identity, type PeerId } from '@natkit/identity';
import { PeerError } from '../errors.js';
import { encodeInitPayload, prologueFor, staticKeyPairOf } from './handshake-payload.js';
import { IkInitiator } from './handshake-ik.js';
import { generateDhKeyPair, type DhKeyPair } from './noise-crypto.js';
import {
  decodeHandshakePacket,
  encodeHandshakeHeader,
  isConnectionId,
  PacketType,
  readU32,
  RESPONSE_PAYLOAD_LENGTH,
  type ConnectionId,
} from './packet.js';
import { checkSessionOptions, Session, type SessionOptions } from './session.js';

export interface HandshakeInitiatorOptions {
  readonly identity: Identity;
  /** Whom to reach: its peer id pins its key. */
  readonly remotePeerId: PeerId;
  /** This side's connection id for the session, unique among the caller's sessions. */
  readonly localId: ConnectionId;
  /**
   * Wall-clock milliseconds (Date.now()): the responder refuses an init not newer than the last it
   * accepted from us. Two initiators of one identity in the same millisecond get distinct values:
   * each uses at least the previous one's plus 1.
   */
  readonly timestamp: number;
  readonly session?: SessionOptions;
  /** Tests only: a fixed ephemeral key pair. */
  readonly ephemeral?: DhKeyPair;
}

/** The last init timestamp each identity used in this process, so that they strictly increase. */
const lastTimestamps = new WeakMap<Identity, number>();

function nextTimestamp(identity: Identity, wallClock: number): number {
  const timestamp = Math.max(wallClock, (lastTimestamps.get(identity) ?? -1) + 1);
  lastTimestamps.set(identity, timestamp);
  return timestamp;
}

export type InitiatorDropReason = 'malformed' | 'wrong-receiver' | 'auth' | 'already-complete';
export type InitiatorResult = { ok: true; session: Session } | { ok: false; reason: InitiatorDropReason };

/**
 * The initiator of a session (Noise IK). Send `packet`, and send it again (same bytes) until
 * `handleResponse` returns the session; retransmission timing is the caller's. Pure: no I/O,
 * no timers; a forged or corrupted response is dropped and counted and does not spoil the state.
 */
export class HandshakeInitiator {
  readonly packet: Uint8Array;
  readonly localId: ConnectionId;
  readonly remotePeerId: PeerId;
  readonly dropped: Record<InitiatorDropReason, number> = { malformed: 0, 'wrong-receiver': 0, auth: 0, 'already-complete': 0 };
  readonly #noise: IkInitiator;
  readonly #options: HandshakeInitiatorOptions;
  #session: Session | undefined;

  constructor(options: HandshakeInitiatorOptions) {
    const remote = decodePeerId(options.remotePeerId);
    if (!remote.ok) throw new PeerError('ERR_SESSION_CONFIG', `remote peer id refused: ${remote.reason}`);
    if (!isConnectionId(options.localId)) throw new PeerError('ERR_SESSION_CONFIG', `connection id must be a u32, not ${String(options.localId)}`);
    if (!(Number.isSafeInteger(options.timestamp) && options.timestamp >= 0)) {
      throw new PeerError('ERR_SESSION_CONFIG', `timestamp must be wall-clock milliseconds, not ${options.timestamp}`);
    }
    checkSessionOptions(options.session);
    const header = encodeHandshakeHeader(PacketType.HandshakeInit, options.localId);
    const noise = IkInitiator.write(
      {
        prologue: prologueFor(header),
        s: staticKeyPairOf(options.identity),
        e: options.ephemeral ?? generateDhKeyPair(),
        rs: toX25519PublicKey(remote.value.publicKey),
      },
      encodeInitPayload(options.identity.publicKey, nextTimestamp(options.identity, options.timestamp)),
    );
    // decodePeerId refused small-order keys, so the DH cannot fail here.
    if (noise === undefined) throw new PeerError('ERR_SESSION_CONFIG', 'remote key unusable for X25519');
    this.#noise = noise;
    this.#options = options;
    this.localId = options.localId;
    this.remotePeerId = remote.value.id;
    this.packet = Buffer.concat([header, noise.message1]);
  }

  handleResponse(packet: Uint8Array, now: number): InitiatorResult {
    const drop = (reason: InitiatorDropReason): InitiatorResult => {
      this.dropped[reason]++;
      return { ok: false, reason };
    };
    if (this.#session !== undefined) return drop('already-complete');
    const decoded = decodeHandshakePacket(packet, PacketType.HandshakeResponse);
    if (!decoded.ok) return drop('malformed');
    if (decoded.value.id !== this.localId) return drop('wrong-receiver');
    const read = this.#noise.read(decoded.value.noise);
    if (read === undefined) return drop('auth');
    if (read.payload.length !== RESPONSE_PAYLOAD_LENGTH) return drop('malformed');
    this.#session = new Session({
      role: 'initiator',
      localId: this.localId,
      remoteId: readU32(read.payload, 0),
      remotePeerId: this.remotePeerId,
      handshakeHash: read.keys.handshakeHash,
      sendKey: read.keys.initiatorToResponder,
      receiveKey: read.keys.responderToInitiator,
      now,
      options: this.#options.session,
    });
    return { ok: true, session: this.#session };
  }
}
