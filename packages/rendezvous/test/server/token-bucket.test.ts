import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, createBucket, takeToken } from '../../src/server/token-bucket.js';

describe('token bucket', () => {
  it('allows the burst, then refuses with the time to the next token', () => {
    const limit = { burst: 3, perSecond: 10 };
    const bucket = createBucket(limit, 0);
    expect([takeToken(bucket, limit, 0), takeToken(bucket, limit, 0), takeToken(bucket, limit, 0)].every((r) => r.ok)).toBe(true);
    expect(takeToken(bucket, limit, 0)).toEqual({ ok: false, retryAfterMs: 100 });
    expect(takeToken(bucket, limit, 50)).toEqual({ ok: false, retryAfterMs: 50 });
    expect(takeToken(bucket, limit, 100).ok).toBe(true);
  });

  it('refills no higher than the burst', () => {
    const limit = { burst: 2, perSecond: 1 };
    const bucket = createBucket(limit, 0);
    takeToken(bucket, limit, 0);
    takeToken(bucket, limit, 0);
    expect(takeToken(bucket, limit, 1_000_000).ok).toBe(true);
    expect(takeToken(bucket, limit, 1_000_000).ok).toBe(true);
    expect(takeToken(bucket, limit, 1_000_000).ok).toBe(false);
  });

  it('a zero rate never refills', () => {
    const limit = { burst: 1, perSecond: 0 };
    const bucket = createBucket(limit, 0);
    expect(takeToken(bucket, limit, 0).ok).toBe(true);
    expect(takeToken(bucket, limit, 1e9)).toEqual({ ok: false, retryAfterMs: 86_400_000 });
  });
});

describe('KeyedRateLimiter', () => {
  it('keeps keys apart', () => {
    const limiter = new KeyedRateLimiter({ burst: 1, perSecond: 1 }, 10);
    expect(limiter.take('a', 0).ok).toBe(true);
    expect(limiter.take('a', 0).ok).toBe(false);
    expect(limiter.take('b', 0).ok).toBe(true);
  });

  it('never holds more than maxKeys, dropping refilled buckets first', () => {
    const limiter = new KeyedRateLimiter({ burst: 1, perSecond: 1 }, 100);
    limiter.take('busy', 0);
    for (let i = 0; i < 1_000; i++) limiter.take(`k${i}`, 0);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('evicts a refilled bucket before one that still owes tokens', () => {
    const limiter = new KeyedRateLimiter({ burst: 1, perSecond: 1 }, 2);
    limiter.take('old', 0); // owes until 1000
    limiter.take('recent', 900); // owes until 1900
    limiter.take('new', 1_000); // full: 'old' has refilled and goes
    expect(limiter.size).toBe(2);
    expect(limiter.take('recent', 1_000).ok).toBe(false);
  });
});
