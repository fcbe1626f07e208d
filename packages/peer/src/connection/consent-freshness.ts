import { PeerError } from '../errors.js';
import type { ConnectionTiming } from './connection-timing.js';

/** What the periodic check found at `now`. */
export type ConsentVerdict =
  /** No path answered for `idleTimeoutMs`: the connection is lost. */
  | { readonly kind: 'expired'; readonly silentMs: number }
  /** The direct path has not answered for `directTimeoutMs`: back to the relay. */
  | { readonly kind: 'direct-dead'; readonly silentMs: number }
  | { readonly kind: 'fresh' };

/**
 * Consent freshness of one connection (RFC 7675 in spirit, over our own authenticated probes):
 * when each path last answered, when the connection as a whole last heard its peer, and the
 * backoff of direct-path re-probes. Pure: `now` comes in as an argument.
 */
export class ConsentFreshness {
  #lastAnswer: number;
  #lastDirectAnswer: number | null = null;
  #reprobeFailures = 0;

  constructor(
    private readonly timing: ConnectionTiming,
    now: number,
  ) {
    this.#lastAnswer = now;
  }

  /** An authenticated answer came back (on any path); `direct`: on the direct path in use. */
  answered(now: number, direct: boolean): void {
    this.#lastAnswer = Math.max(this.#lastAnswer, now);
    if (direct && this.#lastDirectAnswer !== null) this.#lastDirectAnswer = Math.max(this.#lastDirectAnswer, now);
  }

  /** A direct path was validated (or moved to a new address) at `now`: the re-probe backoff starts over. */
  directUp(now: number): void {
    this.#lastDirectAnswer = now;
    this.#lastAnswer = Math.max(this.#lastAnswer, now);
    this.#reprobeFailures = 0;
  }

  directDown(): void {
    this.#lastDirectAnswer = null;
  }

  /** When the direct path in use last answered (null: none in use). */
  get lastDirectAnswer(): number | null {
    return this.#lastDirectAnswer;
  }

  /** Ms since any path last answered. */
  silentMs(now: number): number {
    return now - this.#lastAnswer;
  }

  check(now: number): ConsentVerdict {
    const silent = now - this.#lastAnswer;
    if (silent >= this.timing.idleTimeoutMs) return { kind: 'expired', silentMs: silent };
    if (this.#lastDirectAnswer !== null && now - this.#lastDirectAnswer >= this.timing.directTimeoutMs) return { kind: 'direct-dead', silentMs: now - this.#lastDirectAnswer };
    return { kind: 'fresh' };
  }

  /**
   * The delay before the next direct-path attempt: `reprobeMs`, doubled after each attempt that
   * found nothing, at most `maxReprobeMs`. Counts this attempt.
   */
  nextReprobeDelay(): number {
    const delay = Math.min(this.timing.maxReprobeMs, this.timing.reprobeMs * 2 ** Math.min(this.#reprobeFailures, 30));
    this.#reprobeFailures++;
    return delay;
  }
}

/** The error a connection closes with when no path answered for `silentMs`: what failed, what to do. */
export function connectionLostError(remotePeerId: string, silentMs: number, hadDirect: boolean): PeerError {
  const seconds = Math.round(silentMs / 100) / 10;
  return new PeerError(
    'ERR_PEER_CONNECTION_LOST',
    `no answer from ${remotePeerId} for ${seconds} s on any path (${hadDirect ? 'direct or relay' : 'relay'}): the peer quit or lost its network, or the network between dropped the path; connect again once the peer is back`,
  );
}
