/**
 * The success matrix over the virtual network: every ordered pair of NAT behaviors, with loss and
 * latency, several seeds each. Shared by the matrix test files (split by A's mapping so they run
 * in parallel).
 */
import { appendFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { normalizeAddress } from '@natkit/net';
import { ALL_NATS, type NamedNat } from './behaviors.js';
import { runPair, type PairOutcome } from './vnet-pair.js';

/** PUNCH_LONG=1: 25 seeds per pair instead of 4. */
export const SEEDS = process.env['PUNCH_LONG'] === '1' ? 25 : 4;

export interface TrialRow {
  readonly a: string;
  readonly b: string;
  readonly seed: number;
  readonly strategy: string;
  readonly p: number;
  readonly outcome: string;
  readonly elapsedMs: number | null;
  readonly sent: number;
}

/** Checks what must hold for every trial, whatever the strategy. */
export function checkTrial(r: PairOutcome): void {
  expect(r.planB.strategy).toBe(r.planA.strategy);
  expect(r.planB.successProbability).toBeCloseTo(r.planA.successProbability, 12);
  expect(r.outcome).not.toBe('inconsistent');
  if (r.planA.successProbability === 1) expect(r.outcome, r.planA.reason).toBe('direct');
  if (r.planA.successProbability === 0) expect(r.outcome, r.planA.reason).toBe('relay');
  for (const [sent, plan] of [[r.sentA, r.planA], [r.sentB, r.planB]] as const) {
    const allowed = new Set(plan.allowedAddresses.map(normalizeAddress));
    for (const to of sent) expect(allowed.has(normalizeAddress(to.address)), `${to.address} not bound to the peer`).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(plan.limits.maxProbes);
  }
  expect(r.openSocketsAfter).toBe(0);
}

/** One test per A behavior: A against every B, every seed. */
export function matrixTests(filter: (a: NamedNat) => boolean, options: { loss: number; latencyMs: number }): void {
  for (const a of ALL_NATS.filter(filter)) {
    it(`${a.name} against all ${ALL_NATS.length} behaviors x ${SEEDS} seeds ends as planned`, async () => {
      const rows: TrialRow[] = [];
      for (const b of ALL_NATS) {
        for (let seed = 1; seed <= SEEDS; seed++) {
          // A seed of its own for every (A, B, trial): trials are independent across the matrix.
          const pairSeed = (ALL_NATS.indexOf(a) * ALL_NATS.length + ALL_NATS.indexOf(b)) * 1000 + seed;
          const r = await runPair({ seed: pairSeed, natA: a.nat, natB: b.nat, ...options });
          if (r.planA.strategy !== 'birthday') checkTrial(r);
          else expect(r.outcome).not.toBe('inconsistent');
          rows.push({
            a: a.name,
            b: b.name,
            seed: pairSeed,
            strategy: r.planA.strategy,
            p: r.planA.successProbability,
            outcome: r.outcome,
            elapsedMs: r.resultA.ok ? r.resultA.elapsedMs : null,
            sent: r.sentA.length + r.sentB.length,
          });
        }
      }
      // Birthday trials: each must obey the same rules; failures stay within the planned probability.
      const birthday = rows.filter((row) => row.strategy === 'birthday');
      const failures = birthday.filter((row) => row.outcome !== 'direct').length;
      if (birthday.length > 0) expect(failures).toBeLessThanOrEqual(Math.max(2, Math.ceil(birthday.length * (1 - birthday[0]!.p) * 4)));
      const report = process.env['PUNCH_MATRIX_REPORT'];
      if (report !== undefined) appendFileSync(report, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    }, 1_200_000);
  }
}
