import { describe, expect, it } from 'vitest';
import { planPolicies, planTransmissions } from '../../src/index.js';

describe('planPolicies: silence windows', () => {
  it('give every transmission more than an RTT to be answered, even past the interval cap', () => {
    for (const rtt of [0.1, 5, 30, 150, 400, 900, 1900]) {
      const { sends, giveUpAt } = planTransmissions(planPolicies(rtt).negative);
      expect(giveUpAt - (sends.at(-1) ?? 0)).toBeGreaterThan(rtt);
    }
    expect(planTransmissions(planPolicies(0.1).negative).giveUpAt).toBe(180);
  });
});
