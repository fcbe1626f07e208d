/**
 * The discovery over an impaired virtual network: loss, latency and jitter on the NAT's uplink,
 * over many seeds, and the mapping lifetime measured against NAT timers. The manual clock makes
 * minutes of waiting instant, and every seed replays exactly.
 */
import { describe, expect, it } from 'vitest';
import type { LinkOptions, NatOptions } from '@natkit/vnet';
import type { DiagnoseOptions, FamilyReport } from '../../src/index.js';
import { ADM, APDM, createSite, EIM } from './vnet-site.js';

/** One diagnosis from a host behind a NAT with `nat` and `link` on its uplink, seeded by `seed`. */
async function diagnoseOnce(
  nat: NatOptions,
  link: LinkOptions,
  seed: number,
  extra: Partial<DiagnoseOptions> = {},
): Promise<{ report: FamilyReport; virtualMs: number }> {
  const site = await createSite({ nat, link, seed });
  try {
    return await site.diagnose({ hairpin: false, ...extra });
  } finally {
    await site.close();
  }
}

const verdict = (r: FamilyReport): string => `${r.mapping}/${r.filtering}/${r.classic}/${r.portAllocation.pattern}`;

describe('diagnose over vnet with 10% loss each way and 50 ± 10 ms latency on the uplink', () => {
  const TRIALS = 50;
  const REQUIRED = 49;
  const link: LinkOptions = { loss: 0.1, latencyMs: 40, jitterMs: 20 };
  const combos: { name: string; nat: NatOptions; classic: string; pattern: string }[] = [
    { name: 'full cone', nat: { mapping: EIM, filtering: EIM }, classic: 'full-cone', pattern: 'preserving' },
    { name: 'restricted cone', nat: { mapping: EIM, filtering: ADM }, classic: 'restricted-cone', pattern: 'preserving' },
    { name: 'port-restricted cone', nat: { mapping: EIM, filtering: APDM }, classic: 'port-restricted-cone', pattern: 'preserving' },
    { name: 'symmetric, sequential 1', nat: { mapping: APDM, filtering: APDM, portAllocation: 'sequential', delta: 1, firstPort: 20000 }, classic: 'symmetric', pattern: 'sequential' },
    { name: 'ADM + ADF, random', nat: { mapping: ADM, filtering: ADM, portAllocation: 'random' }, classic: 'symmetric', pattern: 'random' },
  ];
  it.for(combos)(`$name: the verdict is right in at least ${REQUIRED} of ${TRIALS} seeds`, async ({ nat, classic, pattern }, { task }) => {
    const expected = `${nat.mapping}/${nat.filtering}/${classic}/${pattern}`;
    const wrong: string[] = [];
    let slowestMs = 0;
    for (let seed = 1; seed <= TRIALS; seed++) {
      const { report, virtualMs } = await diagnoseOnce(nat, link, seed);
      slowestMs = Math.max(slowestMs, virtualMs);
      if (verdict(report) !== expected) wrong.push(`seed ${seed}: ${verdict(report)}`);
      // Whatever else happens, loss never makes the filtering look more open than it is.
      if (nat.filtering !== EIM) expect(report.filtering, `seed ${seed}`).not.toBe(EIM);
    }
    const right = TRIALS - wrong.length;
    Object.assign(task.meta, { right, trials: TRIALS, slowestVirtualMs: slowestMs });
    expect(right, `right ${right}/${TRIALS}; wrong: ${wrong.join('; ')}`).toBeGreaterThanOrEqual(REQUIRED);
    // Loss costs retransmissions, not minutes: every diagnosis still ends within seconds.
    expect(slowestMs).toBeLessThan(10_000);
  });
});

describe('diagnose over vnet: timeouts adapt to the round-trip time', () => {
  // The first contact retransmits at 0, 105, 315, 735 ms (timeout 2 s): the answer to the first
  // copy then looks like a fast answer to the last one. Just past 315 or 735 ms the timeouts were
  // once planned from that ~5 ms sample (Karn's ambiguity), and the filtering answers, due one
  // real RTT later, came after the tests had given up.
  const rtts = [150, 320, 400, 740, 900];
  for (const rtt of rtts) {
    it.each([
      { filtering: EIM, classic: 'full-cone' },
      { filtering: ADM, classic: 'restricted-cone' },
    ])(`${rtt} ms RTT: $filtering filtering is still seen (answers are not missed)`, async ({ filtering, classic }) => {
      const { report: r } = await diagnoseOnce({ mapping: EIM, filtering }, { latencyMs: rtt / 2 }, 7, { hairpin: true });
      expect({ filtering: r.filtering, classic: r.classic, hairpinning: r.hairpinning }).toEqual({ filtering, classic, hairpinning: false });
    });
  }

  it('the silence windows grow with the RTT: a 150 ms path waits longer than a 0 ms one, but under 5 s', async ({ task }) => {
    const nat = { mapping: EIM, filtering: APDM };
    const fast = await diagnoseOnce(nat, {}, 3);
    const slow = await diagnoseOnce(nat, { latencyMs: 75 }, 3);
    Object.assign(task.meta, { fastVirtualMs: fast.virtualMs, slowVirtualMs: slow.virtualMs });
    expect(fast.report.filtering).toBe(APDM);
    expect(slow.report.filtering).toBe(APDM);
    expect(slow.virtualMs).toBeGreaterThan(fast.virtualMs * 3);
    expect(slow.virtualMs).toBeLessThan(5000);
  });
});

describe('diagnose over vnet: mapping lifetime (RFC 5780 §4.6)', () => {
  it.for([
    { lifetimeMs: 30_000, min: 27, max: 30 },
    { lifetimeMs: 45_000, min: 40.5, max: 45 },
    { lifetimeMs: 100_000, min: 90, max: 100 },
  ])('a NAT that forgets idle mappings after $lifetimeMs ms: between $min and $max s', async ({ lifetimeMs, min, max }, { task }) => {
    const { report: r, virtualMs } = await diagnoseOnce({ mapping: EIM, filtering: APDM, mappingLifetimeMs: lifetimeMs }, {}, 11, {
      lifetime: { maxSeconds: 120 },
    });
    expect(r.mappingLifetimeSeconds).not.toBeNull();
    expect(r.mappingLifetimeSeconds!).toBeGreaterThanOrEqual(min);
    expect(r.mappingLifetimeSeconds!).toBeLessThan(max);
    expect(r.filtering).toBe(APDM);
    expect(virtualMs).toBeGreaterThan(lifetimeMs);
    Object.assign(task.meta, { mappingLifetimeSeconds: r.mappingLifetimeSeconds, virtualMs });
  });

  it('a mapping that outlives maxSeconds is reported as at least maxSeconds', async () => {
    const { report: r } = await diagnoseOnce({ mapping: EIM, filtering: APDM, mappingLifetimeMs: 600_000 }, {}, 12, {
      lifetime: { maxSeconds: 120 },
    });
    expect(r.mappingLifetimeSeconds).toBe(120);
  });

  it('is measured behind a symmetric NAT too, and also with 5% loss', async () => {
    const { report: r } = await diagnoseOnce(
      { mapping: APDM, filtering: APDM, portAllocation: 'random', mappingLifetimeMs: 30_000 },
      { loss: 0.05, latencyMs: 20 },
      13,
      { lifetime: { maxSeconds: 120 } },
    );
    expect(r.mappingLifetimeSeconds).toBeGreaterThanOrEqual(27);
    expect(r.mappingLifetimeSeconds).toBeLessThan(30);
  });
});
