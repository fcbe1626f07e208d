import type { Clock, Timer } from '@natkit/net';
import type { Candidate } from '../protocol/candidate.js';
import { FATAL_ERROR_CODES, type ErrorCode } from '../protocol/error-code.js';
import type { WireEndpoint } from '../protocol/fields.js';
import { encodeMessage } from '../protocol/encode.js';
import type { ErrorMessage } from '../protocol/messages/error.js';
import type { NatProfile } from '../protocol/nat-profile.js';
import type { ServerMessage } from '../protocol/server-message.js';
import { updateRtt, type RttEstimate } from '../schedule/rtt-estimate.js';
import type { ClientTransport } from './client-transport.js';
import type { RandomTokens } from './random-tokens.js';
import { createBucket, type Bucket, type RateLimit } from './token-bucket.js';

export type SessionState = 'awaiting-register' | 'registering' | 'registered' | 'closed';

/** Pings one session may have outstanding; more resolve null at once. */
const MAX_PENDING_PINGS = 8;

interface PendingPing {
  readonly sentAt: number;
  readonly timer: Timer | null;
  readonly resolve: (rttMs: number | null) => void;
}

/** Replaced whole on `update`, never changed: it keys the cache of its encoded PeerInfo. */
export interface Registration {
  readonly peerId: string;
  readonly nat: NatProfile;
  readonly candidates: readonly Candidate[];
  /** UDP addresses bound to the peer by an address token (one per family), see address-tokens.ts. */
  readonly verified?: readonly WireEndpoint[];
}

/** One client connection as the server sees it: its state, challenge, RTT and pending pings. */
export class Session {
  state: SessionState = 'awaiting-register';
  /** The protocol version the connection speaks (set on accept). */
  version = 1;
  /** The live `hello` challenge; null once a register attempt used it. */
  challenge: string | null;
  registration: Registration | null = null;
  rtt: RttEstimate | null = null;
  lastHeardAt: number;
  nextPingAt: number;
  readonly messageBucket: Bucket;
  /** Outstanding pings; created on the first (most sessions have none most of the time). */
  #pending: Map<string, PendingPing> | null = null;
  #probe: Promise<number | null> | null = null;

  constructor(
    readonly id: string,
    readonly transport: ClientTransport,
    readonly observed: WireEndpoint,
    readonly ipKey: string,
    readonly openedAt: number,
    messageLimit: RateLimit,
    private readonly random: RandomTokens,
  ) {
    this.challenge = random.next(32);
    this.lastHeardAt = openedAt;
    this.nextPingAt = openedAt;
    this.messageBucket = createBucket(messageLimit, openedAt);
  }

  get peerId(): string | null {
    return this.registration?.peerId ?? null;
  }

  send(message: ServerMessage): boolean {
    return this.sendText(encodeMessage(message));
  }

  /** Sends a frame already encoded (encodeIntroduce). */
  sendText(text: string): boolean {
    if (this.state === 'closed') return false;
    return this.transport.send(text);
  }

  /** Sends an `error`; a fatal code closes the connection after it with `closeCode`. */
  refuse(code: ErrorCode, message: string, extra: Partial<Pick<ErrorMessage, 'requestId' | 'retryAfterMs' | 'supported'>> = {}, closeCode = 4000): void {
    this.send({ type: 'error', code, message, ...extra });
    if (FATAL_ERROR_CODES.has(code)) this.transport.close(closeCode, code);
  }

  /**
   * Pings the client; resolves with the RTT sample, or null on timeout, on close, or when too
   * many pings are outstanding. `timeoutMs` null: heartbeat only, nobody waits (no timer).
   */
  ping(clock: Clock, timeoutMs: number | null): Promise<number | null> {
    if (this.state === 'closed' || (this.#pending?.size ?? 0) >= MAX_PENDING_PINGS) return Promise.resolve(null);
    const nonce = this.random.next(9);
    return new Promise((resolve) => {
      const timer = timeoutMs === null ? null : clock.setTimeout(() => this.#settle(nonce, null), timeoutMs);
      (this.#pending ??= new Map()).set(nonce, { sentAt: clock.now(), timer, resolve });
      if (!this.send({ type: 'ping', nonce })) this.#settle(nonce, null);
    });
  }

  /**
   * The RTT to use for a punch now: the latest sample if younger than `maxAgeMs`, else a fresh
   * probe; concurrent callers (many peers asking for one popular peer) share one probe.
   */
  measureRtt(clock: Clock, timeoutMs: number, maxAgeMs: number): Promise<number | null> {
    const now = clock.now();
    if (this.rtt !== null && now - this.rtt.measuredAt <= maxAgeMs) return Promise.resolve(this.rtt.latestMs);
    this.#probe ??= this.ping(clock, timeoutMs).finally(() => {
      this.#probe = null;
    });
    return this.#probe;
  }

  /** A pong arrived: returns its RTT sample, or null for a nonce we did not send. */
  onPong(nonce: string, now: number): number | null {
    const pending = this.#pending?.get(nonce);
    if (pending === undefined) return null;
    const sample = now - pending.sentAt;
    this.rtt = updateRtt(this.rtt, sample, now);
    this.#settle(nonce, sample);
    return sample;
  }

  /** Heartbeat pings whose pong never came are forgotten after `maxAgeMs`. */
  expirePings(now: number, maxAgeMs: number): void {
    if (this.#pending === null) return;
    for (const [nonce, pending] of this.#pending) if (now - pending.sentAt > maxAgeMs) this.#settle(nonce, null);
  }

  /** Marks the session closed and resolves every pending ping with null. Idempotent. */
  dispose(): void {
    this.state = 'closed';
    for (const nonce of [...(this.#pending?.keys() ?? [])]) this.#settle(nonce, null);
  }

  #settle(nonce: string, value: number | null): void {
    const pending = this.#pending?.get(nonce);
    if (pending === undefined) return;
    this.#pending?.delete(nonce);
    if (this.#pending?.size === 0) this.#pending = null;
    pending.timer?.cancel();
    pending.resolve(value);
  }
}
