import { RESERVATION_LIFETIME_S } from './lifetimes.js';

/**
 * Relay ports held for a later Allocate with RESERVATION-TOKEN (EVEN-PORT R=1, RFC 8656 §7.2):
 * token (hex) -> the I/O layer's handle. Bounded by `max`; pure: `now` is passed in.
 */
export class Reservations<R> {
  private readonly held = new Map<string, { handle: R; expiresAt: number }>();

  constructor(private readonly max: number) {}

  /** Holds `handle` under `token`; false when full (the caller closes the handle). */
  hold(token: Uint8Array, handle: R, now: number): boolean {
    if (this.held.size >= this.max) return false;
    this.held.set(Buffer.from(token).toString('hex'), { handle, expiresAt: now + RESERVATION_LIFETIME_S * 1000 });
    return true;
  }

  /** Takes the handle reserved under `token`, if still held. */
  take(token: Uint8Array, now: number): R | undefined {
    const key = Buffer.from(token).toString('hex');
    const e = this.held.get(key);
    if (e === undefined || e.expiresAt <= now) return undefined; // an expired one is left for expire()
    this.held.delete(key);
    return e.handle;
  }

  /** Removes and returns expired handles (for the caller to close). */
  expire(now: number): R[] {
    const gone: R[] = [];
    for (const [k, e] of this.held) {
      if (e.expiresAt > now) continue;
      this.held.delete(k);
      gone.push(e.handle);
    }
    return gone;
  }

  /** Removes and returns every handle (on close). */
  drain(): R[] {
    const all = [...this.held.values()].map((e) => e.handle);
    this.held.clear();
    return all;
  }

  get size(): number {
    return this.held.size;
  }
}
