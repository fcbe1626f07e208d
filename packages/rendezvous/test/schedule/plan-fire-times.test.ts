import { describe, expect, it } from 'vitest';
import { MAX_SCHEDULED_RTT_MS, planFireTimes, updateRtt } from '../../src/index.js';

describe('planFireTimes: both punches leave together', () => {
  // [initiator RTT, responder RTT, margin, initiator fires in, responder fires in]
  const table: [number, number, number, number, number][] = [
    [0, 0, 0, 0, 0],
    [20, 20, 0, 0, 0],
    [20, 20, 10, 10, 10],
    [10, 110, 0, 50, 0], // the near side waits half the difference
    [110, 10, 0, 0, 50],
    [10, 110, 15, 65, 15],
    [3, 4, 0, 1, 0], // rounded to whole ms
    [0, 2 * MAX_SCHEDULED_RTT_MS, 0, MAX_SCHEDULED_RTT_MS / 2, 0], // absurd RTTs are clamped
    [-5, 40, 0, 20, 0], // negative treated as 0
    [Number.NaN, 40, 0, 20, 0],
    [40, 40, Number.NaN, 0, 0],
    [40, 40, -3, 0, 0],
  ];
  for (const [a, b, margin, fireA, fireB] of table) {
    it(`rtt ${a} / ${b} ms, margin ${margin}: ${fireA} / ${fireB}`, () => {
      expect(planFireTimes({ initiatorRttMs: a, responderRttMs: b, marginMs: margin })).toEqual({ initiatorFireInMs: fireA, responderFireInMs: fireB });
    });
  }

  it('the fire moments coincide when each message takes half its RTT', () => {
    for (const [a, b] of [[4, 180], [75, 75], [300, 12], [1, 999]] as const) {
      const plan = planFireTimes({ initiatorRttMs: a, responderRttMs: b, marginMs: 5 });
      expect(Math.abs(a / 2 + plan.initiatorFireInMs - (b / 2 + plan.responderFireInMs))).toBeLessThanOrEqual(1);
    }
  });
});

describe('updateRtt (RFC 6298 smoothing)', () => {
  it('starts at the first sample, then moves by 1/8 of the difference', () => {
    const first = updateRtt(null, 80, 1_000);
    expect(first).toEqual({ smoothedMs: 80, latestMs: 80, measuredAt: 1_000 });
    expect(updateRtt(first, 160, 2_000)).toEqual({ smoothedMs: 90, latestMs: 160, measuredAt: 2_000 });
  });
});
