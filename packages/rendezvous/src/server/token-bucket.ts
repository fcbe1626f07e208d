/** A rate: `burst` tokens at most, refilled at `perSecond`. */
export interface RateLimit {
  readonly burst: number;
  readonly perSecond: number;
}

export interface Bucket {
  tokens: number;
  updatedAt: number;
}

export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/** Takes one token from `bucket` at `now` (pure apart from updating the bucket it is given). */
export function takeToken(bucket: Bucket, limit: RateLimit, now: number): TakeResult {
  refill(bucket, limit, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { ok: true };
  }
  const retryAfterMs = limit.perSecond > 0 ? Math.ceil(((1 - bucket.tokens) * 1000) / limit.perSecond) : 86_400_000;
  return { ok: false, retryAfterMs: Math.min(retryAfterMs, 86_400_000) };
}

function refill(bucket: Bucket, limit: RateLimit, now: number): void {
  const elapsed = Math.max(0, now - bucket.updatedAt);
  bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsed * limit.perSecond) / 1000);
  bucket.updatedAt = now;
}

/** A full bucket at `now`. */
export function createBucket(limit: RateLimit, now: number): Bucket {
  return { tokens: limit.burst, updatedAt: now };
}

/**
 * Buckets by key (an IP, a peer id) with a bounded number of keys. When full, buckets that have
 * refilled (they remember nothing) are dropped first, then the oldest.
 */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    readonly maxKeys: number,
  ) {}

  take(key: string, now: number): TakeResult {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.maxKeys) this.#evict(now);
      bucket = createBucket(this.limit, now);
      this.#buckets.set(key, bucket);
    }
    return takeToken(bucket, this.limit, now);
  }

  get size(): number {
    return this.#buckets.size;
  }

  #evict(now: number): void {
    const budget = 64;
    let seen = 0;
    for (const [key, bucket] of this.#buckets) {
      if (seen++ >= budget) break;
      refill(bucket, this.limit, now);
      if (bucket.tokens >= this.limit.burst) this.#buckets.delete(key);
    }
    if (this.#buckets.size >= this.maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done !== true) this.#buckets.delete(oldest.value);
    }
  }
}
