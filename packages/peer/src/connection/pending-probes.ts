import { randomInt } from 'node:crypto';
import type { Route } from './path.js';

/** Probes remembered per connection; beyond this the oldest is forgotten (its answer then counts for nothing). */
const MAX_PENDING_PROBES = 256;

/** A probe sent and not answered yet. */
export interface PendingProbe {
  readonly route: Route;
  readonly sentAt: number;
}

/** The probes of one connection waiting for their probe-ack, by nonce (bounded: MAX_PENDING_PROBES). */
export class PendingProbes {
  readonly #probes = new Map<number, PendingProbe>();

  /** Remembers a probe sent on `route` at `now`; returns its fresh random nonce. */
  add(route: Route, now: number): number {
    if (this.#probes.size >= MAX_PENDING_PROBES) this.#probes.delete(this.#probes.keys().next().value as number);
    // A nonce already pending is drawn again (at most 256 of 2^32 are taken: a few tries suffice).
    let nonce = randomInt(0, 2 ** 32);
    for (let i = 0; i < 16 && this.#probes.has(nonce); i++) nonce = randomInt(0, 2 ** 32);
    this.#probes.set(nonce, { route, sentAt: now });
    return nonce;
  }

  /** The probe `nonce` answers, forgotten now; undefined when there is none (unknown, answered already, or forgotten). */
  take(nonce: number): PendingProbe | undefined {
    const probe = this.#probes.get(nonce);
    if (probe !== undefined) this.#probes.delete(nonce);
    return probe;
  }

  clear(): void {
    this.#probes.clear();
  }
}
