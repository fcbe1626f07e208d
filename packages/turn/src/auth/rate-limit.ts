/**
 * Per-source token buckets with a fixed memory bound: at most `maxSources` entries; when full,
 * the oldest entry is evicted (a Map keeps insertion order). Pure: time is passed in.
 * Used to cap 401/438 replies (reflection/amplification, relay.md §3 #9).
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly maxSources: number,
  ) {}

  /** Takes one token for `source` at `now` (ms); false when the source is over its rate. */
  take(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (b === undefined) {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
      b = { tokens: this.burst, at: now };
      this.buckets.set(source, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Sources tracked now (bounded by `maxSources`). */
  get size(): number {
    return this.buckets.size;
  }
}
