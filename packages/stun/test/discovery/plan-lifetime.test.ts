import { describe, expect, it } from 'vitest';
import { planLifetimeTrials, updateLifetimeKnowledge } from '../../src/index.js';

describe('planLifetimeTrials (RFC 5780 §4.6, parallel binary search)', () => {
  it('first tries the usual timer values up to the maximum', () => {
    expect(planLifetimeTrials({ aliveAt: 0, deadAt: null }, { maxSeconds: 100 })).toEqual([2, 5, 10, 20, 30, 45, 60, 90, 100]);
  });
  it('then splits the bracket', () => {
    expect(planLifetimeTrials({ aliveAt: 20, deadAt: 30 }, { maxSeconds: 100, parallel: 3 })).toEqual([22.5, 25, 27.5]);
  });
  it('stops at the resolution, or when alive at the maximum', () => {
    expect(planLifetimeTrials({ aliveAt: 29, deadAt: 30 }, { maxSeconds: 100 })).toBeNull();
    expect(planLifetimeTrials({ aliveAt: 100, deadAt: null }, { maxSeconds: 100 })).toBeNull();
  });
  it('converges on a 27 s timer in a few passes', () => {
    let k = { aliveAt: 0, deadAt: null as number | null };
    let passes = 0;
    for (; passes < 10; passes++) {
      const plan = planLifetimeTrials(k, { maxSeconds: 300 });
      if (plan === null) break;
      k = updateLifetimeKnowledge(k, plan.map((s) => ({ seconds: s, alive: s <= 27 })));
    }
    expect(k.aliveAt).toBeLessThanOrEqual(27);
    expect(k.aliveAt).toBeGreaterThanOrEqual(25);
    expect(k.deadAt).toBeGreaterThan(27);
    expect(passes).toBeLessThanOrEqual(4);
  });
});
