import { isSameEndpoint, normalizeAddress, numberProblem, type Endpoint } from '@natkit/net';
import { StunError } from '../errors.js';
import { transactionKey } from '../proto/index.js';
import { planTransmissions, type RetransmitPolicy } from './retransmit-policy.js';

/** What the owner of the table must do now. */
export type TransactionAction =
  | { readonly type: 'send'; readonly key: string; readonly bytes: Uint8Array; readonly to: Endpoint; readonly attempt: number }
  | { readonly type: 'timeout'; readonly key: string; readonly attempts: number; readonly wrongSource: readonly Endpoint[] };

/** The result of offering a received response to the table. */
export type MatchResult =
  | { readonly kind: 'matched'; readonly key: string; readonly rttMs: number; readonly attempts: number; readonly firstRttSample: boolean }
  /** Our transaction id, but from an address the response must not come from (RFC 5780 §7). */
  | { readonly kind: 'wrong-source'; readonly key: string; readonly from: Endpoint }
  | { readonly kind: 'unknown' };

export interface StartOptions {
  readonly policy: RetransmitPolicy;
  /**
   * The address the response must come from. Default: the address it was sent to. For a
   * CHANGE-REQUEST it is the server's alternate address; `'any'` accepts every source (a hairpin
   * probe, or a server whose answer may legitimately come from elsewhere).
   */
  readonly expectFrom?: Endpoint | 'any';
}

interface Entry {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly to: Endpoint;
  readonly expectFrom: Endpoint | 'any';
  readonly sends: number[];
  readonly startedAt: number;
  readonly giveUpAt: number;
  lastSentAt: number;
  attempts: number;
  readonly wrongSource: Endpoint[];
}

/** Bounds of the table. */
export interface TransactionTableOptions {
  /** Outstanding transactions towards one destination IP (RFC 8489 §6.2 says at most 10). */
  readonly maxPerDestination?: number;
  /** Outstanding transactions in all. */
  readonly maxTotal?: number;
}

/**
 * STUN client transactions as a pure state machine: it knows when each request must be
 * retransmitted and when it times out, but owns no timer and no socket. The owner calls
 * `poll(now)` at `nextDeadline()` and performs the returned actions (RFC 8489 §6.2.1).
 */
export class TransactionTable {
  readonly #entries = new Map<string, Entry>();
  readonly #perDestination = new Map<string, number>();
  readonly #maxPerDestination: number;
  readonly #maxTotal: number;

  constructor(options: TransactionTableOptions = {}) {
    this.#maxPerDestination = atLeastOne(options.maxPerDestination ?? 10, 'maxPerDestination');
    this.#maxTotal = atLeastOne(options.maxTotal ?? 1024, 'maxTotal');
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Registers a request; returns the first send, or a reason it cannot start. */
  start(
    transactionId: Uint8Array,
    bytes: Uint8Array,
    to: Endpoint,
    now: number,
    options: StartOptions,
  ): { ok: true; action: TransactionAction } | { ok: false; reason: 'duplicate' | 'destination-busy' | 'table-full' } {
    const key = transactionKey(transactionId);
    if (this.#entries.has(key)) return { ok: false, reason: 'duplicate' };
    if (this.#entries.size >= this.#maxTotal) return { ok: false, reason: 'table-full' };
    const dest = normalizeAddress(to.address);
    const count = this.#perDestination.get(dest) ?? 0;
    if (count >= this.#maxPerDestination) return { ok: false, reason: 'destination-busy' };
    const plan = planTransmissions(options.policy);
    const entry: Entry = {
      key,
      bytes,
      to,
      expectFrom: options.expectFrom ?? to,
      sends: plan.sends.map((offset) => now + offset),
      startedAt: now,
      giveUpAt: now + plan.giveUpAt,
      lastSentAt: now,
      attempts: 1,
      wrongSource: [],
    };
    entry.sends.shift();
    this.#entries.set(key, entry);
    this.#perDestination.set(dest, count + 1);
    return { ok: true, action: { type: 'send', key, bytes, to, attempt: 1 } };
  }

  /** Offers a response: matched by transaction id AND by source address. */
  match(transactionId: Uint8Array, from: Endpoint, now: number): MatchResult {
    const key = transactionKey(transactionId);
    const entry = this.#entries.get(key);
    if (entry === undefined) return { kind: 'unknown' };
    if (entry.expectFrom !== 'any' && !isSameEndpoint(entry.expectFrom, from)) {
      if (entry.wrongSource.length < 8) entry.wrongSource.push(from);
      return { kind: 'wrong-source', key, from };
    }
    this.#remove(entry);
    // Karn's rule: only an answer to a request sent once is an unambiguous RTT sample.
    return {
      kind: 'matched',
      key,
      rttMs: now - (entry.attempts === 1 ? entry.startedAt : entry.lastSentAt),
      attempts: entry.attempts,
      firstRttSample: entry.attempts === 1,
    };
  }

  /** Retransmissions and timeouts due at `now`. */
  poll(now: number): TransactionAction[] {
    const actions: TransactionAction[] = [];
    for (const entry of this.#entries.values()) {
      const next = entry.sends[0];
      if (next !== undefined && next <= now) {
        entry.sends.shift();
        entry.attempts++;
        entry.lastSentAt = now;
        actions.push({ type: 'send', key: entry.key, bytes: entry.bytes, to: entry.to, attempt: entry.attempts });
      } else if (next === undefined && entry.giveUpAt <= now) {
        this.#remove(entry);
        actions.push({ type: 'timeout', key: entry.key, attempts: entry.attempts, wrongSource: entry.wrongSource });
      }
    }
    return actions;
  }

  /** The earliest time `poll` has something to do, or undefined when the table is empty. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const entry of this.#entries.values()) {
      const t = entry.sends[0] ?? entry.giveUpAt;
      if (min === undefined || t < min) min = t;
    }
    return min;
  }

  /** Forgets a transaction (abort); returns whether it existed. */
  cancel(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#remove(entry);
    return true;
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    const dest = normalizeAddress(entry.to.address);
    const count = (this.#perDestination.get(dest) ?? 1) - 1;
    if (count <= 0) this.#perDestination.delete(dest);
    else this.#perDestination.set(dest, count);
  }
}

/** A whole number of at least 1, else StunError `ERR_BAD_OPTION` (NaN would lift the bound). */
function atLeastOne(value: number, what: string): number {
  const problem = numberProblem(value, { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true });
  if (problem !== undefined) throw new StunError('ERR_BAD_OPTION', `transaction table ${what} ${problem}`);
  return value;
}
