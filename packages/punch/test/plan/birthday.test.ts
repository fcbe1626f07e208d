import { describe, expect, it } from 'vitest';
import { birthdayApproximation, birthdayProbesFor, birthdaySuccessProbability, doubleRandomProbability } from '../../src/index.js';

describe('birthday arithmetic', () => {
  it("reproduces the research note's §2.4 table (256 sockets, 65,536 ports)", () => {
    const S = 65_536;
    expect(birthdayApproximation(256, 174, S)).toBeCloseTo(0.49, 2);
    expect(birthdayApproximation(256, 256, S)).toBeCloseTo(0.63, 2);
    expect(birthdayApproximation(256, 588, S)).toBeCloseTo(0.9, 2);
    expect(birthdayApproximation(256, 1024, S)).toBeCloseTo(0.982, 3);
    expect(birthdayApproximation(256, 2048, S)).toBeCloseTo(0.9997, 4);
  });

  it('distinct probes do a little better than probes drawn with replacement', () => {
    for (const k of [16, 256, 1024, 4096]) {
      const exact = birthdaySuccessProbability(256, k, 64_512);
      expect(exact).toBeGreaterThanOrEqual(birthdayApproximation(256, k, 64_512));
      expect(exact - birthdayApproximation(256, k, 64_512)).toBeLessThan(0.01);
    }
    // Brute force on a small space: P(miss) = C(S-n, k) / C(S, k).
    const S = 20;
    const n = 3;
    const k = 4;
    const choose = (a: number, b: number): number => (b === 0 ? 1 : (a * choose(a - 1, b - 1)) / b);
    expect(birthdaySuccessProbability(n, k, S)).toBeCloseTo(1 - choose(S - n, k) / choose(S, k), 12);
    expect(birthdaySuccessProbability(n, S - n + 1, S)).toBe(1);
  });

  it('sizes the probe count for a target, and handles edge input without throwing', () => {
    const k = birthdayProbesFor(256, 0.99, 64_512);
    expect(birthdaySuccessProbability(256, k, 64_512)).toBeGreaterThanOrEqual(0.99);
    expect(birthdaySuccessProbability(256, k - 1, 64_512)).toBeLessThan(0.99);
    expect(k).toBeGreaterThan(1000);
    expect(k).toBeLessThan(1300);
    expect(birthdaySuccessProbability(0, 10, 100)).toBe(0);
    expect(birthdaySuccessProbability(10, 0, 100)).toBe(0);
    expect(birthdaySuccessProbability(10, 10, Number.NaN)).toBe(0);
    expect(birthdayProbesFor(0, 0.5, 100)).toBe(Infinity);
  });

  it('double random NATs need ~54,600 probes per side for 50% (why they relay)', () => {
    expect(doubleRandomProbability(54_600, 65_536)).toBeCloseTo(0.5, 2);
    expect(doubleRandomProbability(2_048, 65_536)).toBeLessThan(0.001);
  });
});
