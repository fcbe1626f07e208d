import { Allocation, type AllocationLimits } from './allocation.js';

export interface QuotaLimits extends AllocationLimits {
  /** Allocations one user may hold (486 beyond). */
  readonly maxAllocationsPerUser: number;
  /** Allocations in total (508 beyond). */
  readonly maxAllocations: number;
}

/** Why a new allocation cannot be admitted. RFC 8656 §7.2 */
export type AdmitVerdict = { ok: true } | { ok: false; code: 437 | 486 | 508; reason: string };

/**
 * Every allocation, keyed by 5-tuple, with per-user counts for quotas. Pure: `now` is passed
 * in. Reservations in progress (`reserve`) count against the quotas, so that concurrent
 * Allocates cannot overshoot while relay sockets are being bound.
 */
export class AllocationTable<R> {
  private readonly byTuple = new Map<string, Allocation<R>>();
  private readonly pending = new Map<string, string>(); // tuple key -> quota key
  private readonly owners = new Map<string, string>(); // tuple key -> quota key, reserved or live
  private readonly perUser = new Map<string, number>();

  constructor(readonly limits: QuotaLimits) {}

  get(tupleKey: string): Allocation<R> | undefined {
    return this.byTuple.get(tupleKey);
  }

  isPending(tupleKey: string): boolean {
    return this.pending.has(tupleKey);
  }

  get size(): number {
    return this.byTuple.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  values(): IterableIterator<Allocation<R>> {
    return this.byTuple.values();
  }

  /**
   * Admits an allocation for `username` on `tupleKey` and holds its place until `add` or
   * `release`. REST user names (`expiry:user`) count against `user`: minting new credentials
   * does not buy more allocations.
   */
  reserve(tupleKey: string, username: string): AdmitVerdict {
    username = quotaKeyOf(username);
    if (this.byTuple.has(tupleKey) || this.pending.has(tupleKey)) return { ok: false, code: 437, reason: '5-tuple in use' };
    if ((this.perUser.get(username) ?? 0) >= this.limits.maxAllocationsPerUser) {
      return { ok: false, code: 486, reason: 'allocation quota of the user' };
    }
    if (this.byTuple.size + this.pending.size >= this.limits.maxAllocations) return { ok: false, code: 508, reason: 'total allocation quota' };
    this.pending.set(tupleKey, username);
    this.owners.set(tupleKey, username);
    this.perUser.set(username, (this.perUser.get(username) ?? 0) + 1);
    return { ok: true };
  }

  /** Gives up a reservation (the relay socket could not be bound). */
  release(tupleKey: string): void {
    const username = this.pending.get(tupleKey);
    if (username === undefined) return;
    this.pending.delete(tupleKey);
    this.owners.delete(tupleKey);
    this.decrement(username);
  }

  /** Turns a reservation into a live allocation. */
  add(allocation: Allocation<R>): void {
    this.pending.delete(allocation.key);
    this.byTuple.set(allocation.key, allocation);
  }

  /** Deletes an allocation; returns it (for the I/O layer to close its sockets). */
  delete(tupleKey: string): Allocation<R> | undefined {
    const a = this.byTuple.get(tupleKey);
    if (a === undefined) return undefined;
    this.byTuple.delete(tupleKey);
    this.decrement(this.owners.get(tupleKey) ?? quotaKeyOf(a.username));
    this.owners.delete(tupleKey);
    return a;
  }

  /** Removes and returns expired allocations; sweeps permissions and channels of the rest. */
  expire(now: number): Allocation<R>[] {
    const gone: Allocation<R>[] = [];
    for (const a of [...this.byTuple.values()]) {
      if (a.isExpired(now)) {
        this.delete(a.key);
        gone.push(a);
      } else {
        a.sweep(now);
      }
    }
    return gone;
  }

  allocationsOf(username: string): number {
    return this.perUser.get(quotaKeyOf(username)) ?? 0;
  }

  private decrement(username: string): void {
    const n = (this.perUser.get(username) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(username);
    else this.perUser.set(username, n);
  }
}

/** The name quotas count against: `user` for a REST name `expiry:user`, else the name itself. */
export function quotaKeyOf(username: string): string {
  const m = /^\d{1,12}:(.+)$/s.exec(username);
  return m?.[1] ?? username;
}
