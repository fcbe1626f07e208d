/**
 * `natkit diagnose` on real Linux NATs, against `natkit serve` and against coturn, and our server
 * judged by coturn's natdiscovery and the classic stun client the way they judge coturn.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FamilyReport } from '@natkit/stun';
import {
  createLab,
  describeLab,
  inBatches,
  runNatkitDiagnose,
  startNatkitServe,
  startTurnServer,
  type Lab,
  type SiteOptions,
  type TurnServer,
} from './harness/index.js';
import { runNatDiscovery } from './judges/nat-discovery.js';
import { runStunClient } from './judges/stun-client.js';

const COTURN_PORT = 3490;
/** natkit serve --other-address coturn, for turnutils_natdiscovery (see StunServerOptions). */
const COTURN_COMPAT_PORT = 3500;

const EIM = 'endpoint-independent';
const ADM = 'address-dependent';
const APDM = 'address-and-port-dependent';

interface Expected {
  site: SiteOptions;
  mapping: string;
  filtering: string;
  classic: string;
  pattern?: 'preserving' | 'sequential' | 'random';
  delta?: number;
  hairpinning?: boolean;
  natDetected?: boolean;
  exitCode: number;
}

const cases = {
  FC: { site: { behavior: 'full-cone' }, mapping: EIM, filtering: EIM, classic: 'full-cone', pattern: 'preserving', hairpinning: false, exitCode: 0 },
  RC: { site: { behavior: 'restricted-cone' }, mapping: EIM, filtering: ADM, classic: 'restricted-cone', pattern: 'preserving', hairpinning: false, exitCode: 0 },
  PRC: { site: { behavior: 'port-restricted-cone' }, mapping: EIM, filtering: APDM, classic: 'port-restricted-cone', pattern: 'preserving', hairpinning: false, exitCode: 0 },
  SR: { site: { behavior: 'symmetric-random' }, mapping: APDM, filtering: APDM, classic: 'symmetric', pattern: 'random', exitCode: 0 },
  S256: { site: { behavior: 'symmetric-sequential-256' }, mapping: APDM, filtering: APDM, classic: 'symmetric', pattern: 'sequential', delta: 256, exitCode: 0 },
  S1: { site: { behavior: 'symmetric-sequential-1' }, mapping: APDM, filtering: APDM, classic: 'symmetric', pattern: 'sequential', delta: 1, exitCode: 0 },
  ADM: { site: { behavior: 'address-dependent-mapping' }, mapping: ADM, filtering: APDM, classic: 'symmetric', pattern: 'random', exitCode: 0 },
  NN: { site: { topology: 'no-nat' }, mapping: EIM, filtering: EIM, classic: 'open-internet', pattern: 'preserving', natDetected: false, exitCode: 0 },
  UB: { site: { topology: 'udp-blocked' }, mapping: 'unknown', filtering: 'unknown', classic: 'blocked', exitCode: 3 },
  DF: { site: { topology: 'double-nat', behavior: 'full-cone' }, mapping: EIM, filtering: APDM, classic: 'port-restricted-cone', pattern: 'preserving', exitCode: 0 },
  DS: { site: { topology: 'double-nat', behavior: 'symmetric-random' }, mapping: APDM, filtering: APDM, classic: 'symmetric', pattern: 'random', exitCode: 0 },
  HP: { site: { behavior: 'port-restricted-cone', hairpin: true }, mapping: EIM, filtering: APDM, classic: 'port-restricted-cone', pattern: 'preserving', hairpinning: true, exitCode: 0 },
} satisfies Record<string, Expected>;
type Key = keyof typeof cases;

interface Run {
  code: number | null;
  report: FamilyReport | null;
  raw: string;
  durationMs: number;
}

async function diagnoseIn(lab: Lab, ns: string, server: string, extra: readonly string[] = []): Promise<Run> {
  const r = await runNatkitDiagnose(lab, ns, [server], ['--ipv4', '--timeout', '1500', ...extra]);
  return { code: r.code, report: r.report?.ipv4 ?? null, raw: r.raw, durationMs: r.durationMs };
}

function verdictOf(r: FamilyReport | null): Record<string, unknown> {
  return {
    mapping: r?.mapping,
    filtering: r?.filtering,
    classic: r?.classic,
  };
}

describeLab('natkit diagnose on real NATs', ['turnserver', 'turnutils_natdiscovery', 'stun'], () => {
  let lab: Lab<Key>;
  let turn: TurnServer;
  const ours = new Map<Key, Run>();
  const againstCoturn = new Map<Key, Run>();

  beforeAll(async () => {
    const sites = Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, c.site])) as Record<Key, SiteOptions>;
    lab = await createLab({ sites });
    await startNatkitServe(lab);
    await startNatkitServe(lab, { port: COTURN_COMPAT_PORT, extraArgs: ['--other-address', 'coturn'] });
    turn = await startTurnServer(lab, { port: COTURN_PORT });
    const keys = Object.keys(cases) as Key[];
    await inBatches(keys, 3, async (key) => {
      ours.set(key, await diagnoseIn(lab, lab.hosts[key].ns, `${lab.serverAddresses[0]}:3478`, ['--hairpin']));
      againstCoturn.set(key, await diagnoseIn(lab, lab.hosts[key].ns, `${lab.serverAddresses[0]}:${COTURN_PORT}`));
    });
  }, 180_000);
  afterAll(async () => {
    await turn?.stop();
    await lab?.close();
  });

  for (const [key, e] of Object.entries(cases) as [Key, Expected][]) {
    const name = e.site.topology === 'double-nat' ? `double NAT (home ${e.site.behavior})` : `${e.site.behavior ?? e.site.topology}${e.site.hairpin === true ? ' + hairpin' : ''}`;

    it(`${name}: natkit diagnose against natkit serve reports ${e.classic}`, ({ task }) => {
      const run = ours.get(key)!;
      Object.assign(task.meta, { durationMs: run.durationMs });
      expect(run.code, run.raw).toBe(e.exitCode);
      const r = run.report;
      expect(verdictOf(r), run.raw).toEqual({ mapping: e.mapping, filtering: e.filtering, classic: e.classic });
      if (e.pattern !== undefined) expect(r?.portAllocation.pattern, run.raw).toBe(e.pattern);
      if (e.delta !== undefined) expect(r?.portAllocation.delta, run.raw).toBe(e.delta);
      if (e.hairpinning !== undefined) expect(r?.hairpinning, run.raw).toBe(e.hairpinning);
      if (e.exitCode === 0) {
        expect(r?.natDetected, run.raw).toBe(e.natDetected ?? true);
        expect(r?.mappedAddress?.address, run.raw).toBe(lab.hosts[key].publicAddress);
        // Proven on endpoint-independent mappings (an answer from the alternate address gets
        // through once it was contacted); never disproven.
        expect(r?.servers[0]?.behaviorDiscovery, run.raw).toBe(e.mapping === EIM ? true : null);
      } else {
        expect(r?.udp, run.raw).toBe(false);
      }
    });

    it(`${name}: natkit diagnose against coturn reports the same`, () => {
      const run = againstCoturn.get(key)!;
      expect(run.code, run.raw).toBe(e.exitCode);
      expect(verdictOf(run.report), run.raw).toEqual({ mapping: e.mapping, filtering: e.filtering, classic: e.classic });
      if (e.pattern !== undefined) expect(run.report?.portAllocation.pattern, run.raw).toBe(e.pattern);
    });
  }

  it('no server on the port: port unreachable comes back through the NAT, reported at once as no-server, not as blocked UDP', async () => {
    const run = await diagnoseIn(lab, lab.hosts.PRC.ns, `${lab.serverAddresses[1]}:3999`);
    expect(run.code, run.raw).toBe(3);
    expect(run.report, run.raw).toMatchObject({ udp: false, udpFailure: 'no-server', classic: 'unknown' });
    expect(run.durationMs).toBeLessThan(1500);
    const blocked = ours.get('UB')!;
    expect(blocked.report?.udpFailure, blocked.raw).toBe('no-response');
  });

  // Independent clients judge our server as they judge coturn (nat-behaviors.test.ts).
  for (const key of ['FC', 'RC', 'PRC', 'SR', 'ADM', 'NN'] as const) {
    const e: Expected = cases[key];
    it(`${e.site.behavior ?? e.site.topology}: coturn natdiscovery and the classic stun client judge natkit serve as they judge coturn`, async () => {
      const ns = lab.hosts[key].ns;
      const [discovery, classic] = await Promise.all([
        runNatDiscovery(lab, ns, lab.serverAddresses[0]!, { port: COTURN_COMPAT_PORT }),
        runStunClient(lab, ns, lab.serverAddresses[0]!),
      ]);
      expect({ mapping: discovery.mapping, filtering: discovery.filtering }, discovery.raw).toEqual({ mapping: e.mapping, filtering: e.filtering });
      expect(classic.classic, classic.raw).toBe(e.classic);
    }, 60_000);
  }

  it('natdiscovery misreads address-dependent mapping against the RFC 5780-exact OTHER-ADDRESS (why --other-address coturn exists)', async () => {
    const discovery = await runNatDiscovery(lab, lab.hosts.ADM.ns, lab.serverAddresses[0]!, { filtering: false });
    expect(discovery.mapping, discovery.raw).toBe(APDM);
  }, 60_000);
});

describeLab('natkit diagnose with 10% UDP loss at the NAT', [], () => {
  const lossy = {
    FC: cases.FC,
    RC: cases.RC,
    PRC: cases.PRC,
    SR: cases.SR,
    S256: cases.S256,
    S1: cases.S1,
    ADM: cases.ADM,
  };
  type LossKey = keyof typeof lossy;
  let lab: Lab<LossKey>;
  const results = new Map<LossKey, Run[]>();
  const RUNS = 20;

  beforeAll(async () => {
    lab = await createLab({
      sites: Object.fromEntries(Object.entries(lossy).map(([k, c]) => [k, { ...c.site, lossPercent: 10 }])) as Record<LossKey, SiteOptions>,
    });
    await startNatkitServe(lab);
    await inBatches(Object.keys(lossy) as LossKey[], 4, async (key) => {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await diagnoseIn(lab, lab.hosts[key].ns, `${lab.serverAddresses[0]}:3478`));
      results.set(key, runs);
    });
  }, 420_000);
  afterAll(() => lab?.close());

  for (const [key, e] of Object.entries(lossy) as [LossKey, Expected][]) {
    it(`${e.site.behavior}: the verdict (mapping, filtering, classic name, allocation pattern) stays right in at least 19 of ${RUNS} runs`, ({ task }) => {
      const runs = results.get(key)!;
      const expected = { mapping: e.mapping, filtering: e.filtering, classic: e.classic, pattern: e.pattern, delta: e.delta ?? null };
      const verdict = (r: Run): Record<string, unknown> => ({
        ...verdictOf(r.report),
        pattern: r.report?.portAllocation.pattern,
        delta: r.report?.portAllocation.delta ?? null,
      });
      const right = runs.filter((r) => JSON.stringify(verdict(r)) === JSON.stringify(expected));
      Object.assign(task.meta, { right: right.length });
      const wrong = runs.filter((r) => !right.includes(r)).map((r) => JSON.stringify(verdict(r)));
      expect(right.length, `wrong verdicts: ${wrong.join('; ')}`).toBeGreaterThanOrEqual(19);
    });
  }
});
