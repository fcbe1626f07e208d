/**
 * The measured birthday success rate over the virtual network against the theory: a port-
 * restricted cone (EIM + APDF) against a symmetric NAT with random ports, 7% loss, 25 ms latency
 * per uplink, the attempt cut to 256 probes so that the rate (about 64%) says something.
 * PUNCH_LONG=1 runs 1,000 trials instead of 300.
 */
import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { natPresets } from '@natkit/vnet';
import { birthdaySuccessProbability } from '../../src/index.js';
import { checkTrial } from './matrix.js';
import { runPair } from './vnet-pair.js';

const TRIALS = process.env['PUNCH_LONG'] === '1' ? 1_000 : 300;

describe('birthday punching, measured against theory', () => {
  it(`${TRIALS} seeded trials with 256 sockets x 256 probes land within 4 sigma of the theoretical rate`, async () => {
    let direct = 0;
    let p = 0;
    const times: number[] = [];
    for (let seed = 1; seed <= TRIALS; seed++) {
      const r = await runPair({
        seed,
        natA: natPresets.portRestrictedCone,
        natB: natPresets.symmetric,
        loss: 0.07,
        latencyMs: 25,
        limits: { maxDurationMs: 4_560 },
      });
      expect(r.planA.strategy).toBe('birthday');
      expect(r.planA.send.targets).toHaveLength(256);
      expect(r.planB.send.extraSockets).toBe(256);
      checkTrial(r);
      p = r.planA.successProbability;
      if (r.outcome === 'direct') {
        direct++;
        if (r.resultA.ok) times.push(r.resultA.elapsedMs);
      }
    }
    expect(p).toBeCloseTo(birthdaySuccessProbability(257, 256, 64_512), 12);
    const rate = direct / TRIALS;
    const sigma = Math.sqrt((p * (1 - p)) / TRIALS);
    const report = process.env['PUNCH_MATRIX_REPORT'];
    if (report !== undefined) {
      times.sort((x, y) => x - y);
      appendFileSync(report, JSON.stringify({ birthdayRate: rate, theory: p, trials: TRIALS, medianMs: times[times.length >> 1], p95Ms: times[Math.floor(times.length * 0.95)] }) + '\n');
    }
    expect(Math.abs(rate - p), `measured ${rate}, theory ${p}`).toBeLessThanOrEqual(4 * sigma);
  }, 1_200_000);
});
