/**
 * Scenarios beyond the matrix: fire times that disagree (the rendezvous' RTT timing is never
 * exact), and dual-stack peers, where IPv6 (no NAT66, stateful firewalls) is preferred even
 * between two symmetric NATs that would relay over IPv4.
 */
import { describe, expect, it } from 'vitest';
import { natPresets } from '@natkit/vnet';
import { checkTrial } from './matrix.js';
import { profileOf, runPair } from './vnet-pair.js';

describe('punch scenarios', () => {
  it.each([
    ['portRestrictedCone', 'portRestrictedCone', 400],
    ['portRestrictedCone', 'symmetricSequential', -400],
    ['symmetricSequential', 'symmetricSequential', 400],
    ['linuxSnatSequentialStep256', 'linuxSnatSequentialStep256', -700],
    ['restrictedCone', 'symmetric', 1_000],
  ] as const)('%s <-> %s with the fire times %i ms apart still ends direct', async (a, b, skewMs) => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = await runPair({ seed, natA: natPresets[a], natB: natPresets[b], loss: 0.05, latencyMs: 20, skewMs });
      checkTrial(r);
      expect(r.outcome).toBe('direct');
    }
  });

  it('dual-stack peers behind two symmetric NATs punch over IPv6 and get a direct path', async () => {
    const r = await runPair({ seed: 4, natA: natPresets.symmetric, natB: natPresets.symmetric, dualStack: true, loss: 0.05, latencyMs: 20 });
    expect(r.planA.family).toBe(6);
    expect(r.planA.strategy).toBe('simultaneous-open');
    checkTrial(r);
    expect(r.outcome).toBe('direct');
    if (r.resultA.ok) expect(r.resultA.remote.address).toMatch(/^2001:db8:/);
    expect(r.sentA.every((to) => to.address.includes(':'))).toBe(true);
  });
});

describe('what the planner relays, physics refuses', () => {
  it.each([
    ['symmetricSequential', 'symmetric'],
    ['portRestrictedCone', 'symmetric'],
  ] as const)('%s <-> %s diagnosed as step-1 sequential: port prediction is tried, times out, and both sides say so', async (a, b) => {
    const claimed = profileOf({ mapping: 'address-and-port-dependent', portAllocation: 'sequential', delta: 1 });
    for (let seed = 1; seed <= 5; seed++) {
      const r = await runPair({ seed, natA: natPresets[a], natB: natPresets[b], claimedProfileB: claimed, loss: 0.05, latencyMs: 20 });
      expect(r.planA.strategy).toBe('port-prediction');
      expect(r.outcome).toBe('relay');
      for (const result of [r.resultA, r.resultB]) expect(result.ok ? 'direct' : result.reason).toBe('timeout');
      expect(r.openSocketsAfter).toBe(0);
    }
  });
});
