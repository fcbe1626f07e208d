/**
 * A failed birthday attempt is followed at once by a second one (startPunchSeries): fresh sockets
 * on the random side, new probe ports on the EIM side, fired at the first fire time plus the
 * attempt's duration plus SERIES_GAP_MS on both sides alike; never more than one attempt's
 * sockets at a time, never more than `maxAttempts`, and only the birthday plan is repeated.
 */
import { describe, expect, it } from 'vitest';
import { natPresets } from '@natkit/vnet';
import { birthdaySuccessProbability, DEFAULT_SERIES_ATTEMPTS, seriesSuccessProbability } from '../../src/index.js';
import { checkTrial } from './matrix.js';
import { profileOf, runPair } from './vnet-pair.js';

/** 256 probes x 257 mappings: P = 0.64 per attempt, so that a seed whose first attempt misses is easy to find. */
const CUT = { maxDurationMs: 4_560 };

describe('birthday: a second attempt at once', () => {
  it('P(direct) after two 0.99 attempts is 1 - 0.01² = 0.9999', () => {
    const p = birthdaySuccessProbability(257, 1144, 64_512);
    expect(p).toBeGreaterThanOrEqual(0.99);
    expect(seriesSuccessProbability(0.99, DEFAULT_SERIES_ATTEMPTS)).toBeCloseTo(1 - 0.01 ** 2, 12);
    expect(seriesSuccessProbability(p, 2)).toBeGreaterThanOrEqual(0.9999);
    expect(seriesSuccessProbability(0.64, 1)).toBeCloseTo(0.64, 12);
    expect(seriesSuccessProbability(0, 2)).toBe(0);
    expect(seriesSuccessProbability(Number.NaN, 2)).toBe(0);
  });

  it('seed 1: the first attempt times out on both sides, the second (fresh sockets, new ports) ends direct', async () => {
    let peak = 0;
    const r = await runPair({ seed: 1, natA: natPresets.portRestrictedCone, natB: natPresets.symmetric, loss: 0.05, latencyMs: 20, limits: CUT, attempts: 2, sampleSockets: (n) => (peak = Math.max(peak, n)) });
    expect(r.planA.strategy).toBe('birthday');
    expect(r.attemptsA.map((a) => (a.ok ? 'direct' : a.reason))).toEqual(['timeout', 'direct']);
    expect(r.attemptsB.map((a) => (a.ok ? 'direct' : a.reason))).toEqual(['timeout', 'direct']);
    expect(r.attemptsB[0]!.stats.extraSockets).toBe(256);
    checkTrial(r);
    expect(r.outcome).toBe('direct');
    expect([r.resultA.attempts, r.resultB.attempts]).toEqual([2, 2]);
    // Two primary sockets and one attempt's 256 extra ones at most, never two attempts' worth.
    expect(peak).toBeGreaterThan(256);
    expect(peak).toBeLessThanOrEqual(2 + 256);
    // The prober's second schedule draws new ports: most of them are not the first attempt's.
    const first = new Set(r.planA.send.targets.map((t) => t.port));
    const later = r.sentA.slice(r.attemptsA[0]!.stats.sent).filter((t) => t.address === r.planA.send.targets[0]!.address);
    expect(later.length).toBeGreaterThan(10);
    expect(later.filter((t) => !first.has(t.port)).length).toBeGreaterThan(later.length * 0.9);
    expect(r.openSocketsAfter).toBe(0);
  });

  it('a series stops at maxAttempts: two attempts with a peer that cannot authenticate, then the caller\'s backoff', async () => {
    const r = await runPair({ seed: 2, natA: natPresets.portRestrictedCone, natB: natPresets.symmetric, limits: CUT, attempts: 2, tokenB: new Uint8Array(32).fill(0xaa) });
    expect(r.planA.strategy).toBe('birthday');
    expect(r.attemptsA.map((a) => (a.ok ? 'direct' : a.reason))).toEqual(['timeout', 'timeout']);
    expect(r.attemptsB.map((a) => (a.ok ? 'direct' : a.reason))).toEqual(['timeout', 'timeout']);
    expect(r.resultA.attempts).toBe(2);
    // Every probe went to the peer's verified address only.
    expect(new Set(r.sentA.map((t) => t.address))).toEqual(new Set([r.planA.send.targets[0]!.address]));
    expect(r.openSocketsAfter).toBe(0);
  });

  it('a deterministic plan that timed out is not repeated (port prediction against a misdiagnosed random NAT)', async () => {
    const claimed = profileOf({ mapping: 'address-and-port-dependent', portAllocation: 'sequential', delta: 1 });
    const r = await runPair({ seed: 3, natA: natPresets.portRestrictedCone, natB: natPresets.symmetric, claimedProfileB: claimed, attempts: 2 });
    expect(r.planA.strategy).toBe('port-prediction');
    expect(r.attemptsA.map((a) => (a.ok ? 'direct' : a.reason))).toEqual(['timeout']);
    expect(r.attemptsB.map((a) => (a.ok ? 'direct' : a.reason))).toEqual(['timeout']);
  });
});
