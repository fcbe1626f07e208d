import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import type { PeerId } from '@natkit/identity';
import { PeerError } from '../errors.js';
import { TAGLEN } from './noise-crypto.js';
import {
  MAX_PAYLOAD_LENGTH,
  PacketType,
  readU32,
  TRANSPORT_HEADER_LENGTH,
  TRANSPORT_OVERHEAD,
  writeU32,
  type ConnectionId,
} from './packet.js';
import { ReplayWindow } from './replay-window.js';
import { ReceiveKeys, SendKey } from './transport-keys.js';

export interface SessionOptions {
  /** Rekey the send direction after this many messages (default 2^30). */
  readonly rekeyAfterMessages?: number;
  /** Rekey the send direction when its key is this old, in ms of `now` (default 120,000, WireGuard's REKEY_AFTER_TIME). */
  readonly rekeyAfterMs?: number;
  /** Largest payload `seal` accepts and `open` returns (default and maximum `MAX_PAYLOAD_LENGTH`). */
  readonly maxPayloadLength?: number;
}

/** Why `open` dropped a packet. Each has a counter in `SessionStats.dropped`. */
export type DropReason = 'malformed' | 'too-big' | 'wrong-receiver' | 'replay' | 'too-old' | 'epoch' | 'auth';

export type OpenResult = { ok: true; payload: Uint8Array; counter: number } | { ok: false; reason: DropReason };

export interface SessionStats {
  sent: number;
  received: number;
  bytesSent: number;
  bytesReceived: number;
  sendRekeys: number;
  receiveRekeys: number;
  dropped: Record<DropReason, number>;
}

export interface SessionParameters {
  readonly role: 'initiator' | 'responder';
  readonly localId: ConnectionId;
  readonly remoteId: ConnectionId;
  readonly remotePeerId: PeerId;
  readonly handshakeHash: Uint8Array;
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  readonly now: number;
  readonly options?: SessionOptions | undefined;
}

const DEFAULT_REKEY_AFTER_MESSAGES = 2 ** 30;
const DEFAULT_REKEY_AFTER_MS = 120_000;
/** Counters stay exact JavaScript integers; a session that reaches this must be replaced by a new handshake. */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

function positive(value: number | undefined, fallback: number, name: string, max = Infinity): number {
  if (value === undefined) return fallback;
  if (!(value > 0 && value <= max)) throw new PeerError('ERR_SESSION_CONFIG', `${name} must be in (0, ${max}], not ${value}`);
  return value;
}

/** Throws `PeerError` (`ERR_SESSION_CONFIG`) for invalid options, before any handshake starts. */
export function checkSessionOptions(options: SessionOptions | undefined): void {
  positive(options?.rekeyAfterMessages, DEFAULT_REKEY_AFTER_MESSAGES, 'rekeyAfterMessages');
  positive(options?.rekeyAfterMs, DEFAULT_REKEY_AFTER_MS, 'rekeyAfterMs');
  positive(options?.maxPayloadLength, MAX_PAYLOAD_LENGTH, 'maxPayloadLength', MAX_PAYLOAD_LENGTH);
}

/**
 * One end of an established encrypted session: a pure state machine over datagrams. `seal` turns
 * a payload into a transport packet, `open` a packet into its payload; `now` is passed in. Packets
 * carry explicit 64-bit counters, so loss and reordering are fine: a 2048-message replay window
 * accepts each counter once. The send key is rekeyed (Noise Rekey) after `rekeyAfterMessages`
 * or `rekeyAfterMs` without a round trip; the receiver follows the epoch byte. `open` never
 * throws: anything that does not authenticate is dropped and counted.
 */
export class Session {
  readonly role: 'initiator' | 'responder';
  readonly localId: ConnectionId;
  readonly remoteId: ConnectionId;
  readonly remotePeerId: PeerId;
  /** The Noise handshake hash: a channel binding both sides share. */
  readonly handshakeHash: Uint8Array;
  /**
   * A 32-byte key only the two ends have, for authenticating hole-punching probes (which are not
   * session packets): HMAC-SHA256 over the handshake hash, keyed by both first transport keys
   * (initiator's then responder's). The handshake hash alone is not secret (an observer of the
   * handshake can compute it); the transport keys are.
   */
  readonly punchKey: Uint8Array;
  readonly stats: SessionStats = {
    sent: 0,
    received: 0,
    bytesSent: 0,
    bytesReceived: 0,
    sendRekeys: 0,
    receiveRekeys: 0,
    dropped: { malformed: 0, 'too-big': 0, 'wrong-receiver': 0, replay: 0, 'too-old': 0, epoch: 0, auth: 0 },
  };
  readonly maxPayloadLength: number;
  readonly #rekeyAfterMessages: number;
  readonly #rekeyAfterMs: number;
  readonly #send: SendKey;
  readonly #receive: ReceiveKeys;
  readonly #window = new ReplayWindow();
  readonly #nonce = Buffer.alloc(12);
  readonly #openNonce = Buffer.alloc(12);
  #counter = 0;
  #confirmed: boolean;

  constructor(p: SessionParameters) {
    this.role = p.role;
    this.localId = p.localId;
    this.remoteId = p.remoteId;
    this.remotePeerId = p.remotePeerId;
    this.handshakeHash = p.handshakeHash;
    const [i2r, r2i] = p.role === 'initiator' ? [p.sendKey, p.receiveKey] : [p.receiveKey, p.sendKey];
    this.punchKey = new Uint8Array(createHmac('sha256', Buffer.concat([i2r, r2i])).update('natkit punch key v1').update(p.handshakeHash).digest());
    this.#rekeyAfterMessages = positive(p.options?.rekeyAfterMessages, DEFAULT_REKEY_AFTER_MESSAGES, 'rekeyAfterMessages');
    this.#rekeyAfterMs = positive(p.options?.rekeyAfterMs, DEFAULT_REKEY_AFTER_MS, 'rekeyAfterMs');
    this.maxPayloadLength = positive(p.options?.maxPayloadLength, MAX_PAYLOAD_LENGTH, 'maxPayloadLength', MAX_PAYLOAD_LENGTH);
    this.#send = new SendKey(p.sendKey, p.now);
    this.#receive = new ReceiveKeys(p.receiveKey);
    this.#confirmed = p.role === 'initiator';
  }

  /**
   * True once this side knows the other has the keys: always for the initiator (message 2 proved
   * it); for the responder, after the first transport packet from the initiator authenticated.
   * Until then the initiator may not have received message 2, so the responder's packets may be lost.
   */
  get confirmed(): boolean {
    return this.#confirmed;
  }

  get sendEpoch(): number {
    return this.#send.epoch;
  }

  get receiveEpoch(): number {
    return this.#receive.epoch;
  }

  /** Encrypts `payload` into one transport packet. Throws `PeerError` when it is too big. */
  seal(payload: Uint8Array, now: number): Uint8Array {
    if (payload.length > this.maxPayloadLength) {
      throw new PeerError('ERR_PAYLOAD_TOO_BIG', `payload of ${payload.length} bytes over the limit of ${this.maxPayloadLength}`);
    }
    if (this.#counter >= MAX_COUNTER) throw new PeerError('ERR_SESSION_EXHAUSTED', 'message counter exhausted: make a new session');
    if (this.#send.rotateIfDue(now, this.#rekeyAfterMessages, this.#rekeyAfterMs)) this.stats.sendRekeys++;
    const counter = this.#counter++;
    const packet = Buffer.allocUnsafe(TRANSPORT_OVERHEAD + payload.length);
    packet[0] = PacketType.Transport;
    packet[1] = this.#send.epoch & 0xff;
    writeU32(packet, 2, this.remoteId);
    packet.writeUInt32LE(counter >>> 0, 6);
    packet.writeUInt32LE(Math.floor(counter / 0x1_0000_0000), 10);
    packet.copy(this.#nonce, 4, 6, TRANSPORT_HEADER_LENGTH);
    const cipher = createCipheriv('chacha20-poly1305', this.#send.key, this.#nonce, { authTagLength: TAGLEN });
    cipher.setAAD(packet.subarray(0, TRANSPORT_HEADER_LENGTH), { plaintextLength: payload.length });
    const body = cipher.update(payload);
    body.copy(packet, TRANSPORT_HEADER_LENGTH);
    cipher.final();
    cipher.getAuthTag().copy(packet, TRANSPORT_HEADER_LENGTH + payload.length);
    this.#send.countSent();
    this.stats.sent++;
    this.stats.bytesSent += payload.length;
    return packet;
  }

  /** Authenticates and decrypts a transport packet; never throws. */
  open(packet: Uint8Array, _now: number): OpenResult {
    const drop = (reason: DropReason): OpenResult => {
      this.stats.dropped[reason]++;
      return { ok: false, reason };
    };
    if (packet.length < TRANSPORT_OVERHEAD || packet[0] !== PacketType.Transport) return drop('malformed');
    if (packet.length > TRANSPORT_OVERHEAD + this.maxPayloadLength) return drop('too-big');
    if (readU32(packet, 2) !== this.localId) return drop('wrong-receiver');
    const view = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
    const high = view.readUInt32LE(10);
    if (high >= 0x20_0000) return drop('malformed'); // beyond 2^53: never sent by a correct peer
    const counter = high * 0x1_0000_0000 + view.readUInt32LE(6);
    const fresh = this.#window.check(counter);
    if (fresh !== 'ok') return drop(fresh);
    const epoch = this.#receive.resolve(packet[1]!);
    const key = epoch === undefined ? undefined : this.#receive.keyFor(epoch);
    if (epoch === undefined || key === undefined) return drop('epoch');
    const nonce = this.#openNonce;
    view.copy(nonce, 4, 6, TRANSPORT_HEADER_LENGTH);
    const bodyEnd = packet.length - TAGLEN;
    let payload: Buffer;
    try {
      const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAGLEN });
      decipher.setAAD(view.subarray(0, TRANSPORT_HEADER_LENGTH), { plaintextLength: bodyEnd - TRANSPORT_HEADER_LENGTH });
      decipher.setAuthTag(view.subarray(bodyEnd));
      payload = decipher.update(view.subarray(TRANSPORT_HEADER_LENGTH, bodyEnd));
      decipher.final();
    } catch {
      return drop('auth');
    }
    this.#window.mark(counter);
    if (epoch > this.#receive.epoch) {
      this.stats.receiveRekeys += epoch - this.#receive.epoch;
      this.#receive.advance(epoch);
    }
    this.#confirmed = true;
    this.stats.received++;
    this.stats.bytesReceived += payload.length;
    return { ok: true, payload, counter };
  }
}
