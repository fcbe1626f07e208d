/**
 * Responses kept to answer retransmitted requests (RFC 8489 §6.3.1: a server SHOULD remember
 * its responses for 40 s over UDP). Bounded: at most `max` entries, oldest evicted first.
 * Pure: time is passed in.
 */
export class ResponseCache {
  private readonly entries = new Map<string, { bytes: Uint8Array; expiresAt: number }>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  get(key: string, now: number): Uint8Array | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.bytes;
  }

  set(key: string, bytes: Uint8Array, now: number): void {
    this.entries.delete(key);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { bytes, expiresAt: now + this.ttlMs });
  }

  /** Drops expired entries (called by the periodic sweep). */
  sweep(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
