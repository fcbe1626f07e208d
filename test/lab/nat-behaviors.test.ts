/**
 * Every NAT the lab can build, judged by two independent tools against coturn: RFC 5780
 * discovery (turnutils_natdiscovery -m -f) and the classic RFC 3489 client (stun -v).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, describeLab, startTurnServer, type Lab, type SiteOptions, type TurnServer } from './harness/index.js';
import { runNatDiscovery, type Behavior, type NatDiscoveryResult } from './judges/nat-discovery.js';
import { runStunClient, type ClassicNatType, type StunClientResult } from './judges/stun-client.js';

interface Expectation {
  site: SiteOptions;
  mapping: Behavior;
  filtering: Behavior;
  noNat?: boolean;
  classic: ClassicNatType;
  preservesPorts?: boolean;
}

const EIM = 'endpoint-independent';
const ADM = 'address-dependent';
const APDM = 'address-and-port-dependent';

const cases = {
  FC: { site: { behavior: 'full-cone' }, mapping: EIM, filtering: EIM, classic: 'full-cone', preservesPorts: true },
  RC: { site: { behavior: 'restricted-cone' }, mapping: EIM, filtering: ADM, classic: 'restricted-cone', preservesPorts: true },
  PRC: { site: { behavior: 'port-restricted-cone' }, mapping: EIM, filtering: APDM, classic: 'port-restricted-cone', preservesPorts: true },
  SR: { site: { behavior: 'symmetric-random' }, mapping: APDM, filtering: APDM, classic: 'symmetric', preservesPorts: false },
  S256: { site: { behavior: 'symmetric-sequential-256' }, mapping: APDM, filtering: APDM, classic: 'symmetric', preservesPorts: false },
  S1: { site: { behavior: 'symmetric-sequential-1' }, mapping: APDM, filtering: APDM, classic: 'symmetric', preservesPorts: false },
  ADM: { site: { behavior: 'address-dependent-mapping' }, mapping: ADM, filtering: APDM, classic: 'symmetric', preservesPorts: false },
  NN: { site: { topology: 'no-nat' }, mapping: EIM, filtering: EIM, noNat: true, classic: 'open-internet' },
  UB: { site: { topology: 'udp-blocked' }, mapping: 'unknown', filtering: 'unknown', classic: 'blocked' },
  // Double NAT: the carrier-grade NAT in front is port-restricted, so filtering is APDF whatever
  // the home NAT does, and mapping is the stricter of the two.
  DF: { site: { topology: 'double-nat', behavior: 'full-cone' }, mapping: EIM, filtering: APDM, classic: 'port-restricted-cone', preservesPorts: true },
  DS: { site: { topology: 'double-nat', behavior: 'symmetric-random' }, mapping: APDM, filtering: APDM, classic: 'symmetric', preservesPorts: false },
} satisfies Record<string, Expectation>;

type Key = keyof typeof cases;

interface Verdicts {
  discovery: NatDiscoveryResult;
  classic: StunClientResult;
}

/** natdiscovery waits 3 s per unanswered request: none for EIF, one for ADF, two for APDF. */
const expectedTimeouts: Record<Behavior, number> = {
  'endpoint-independent': 0,
  'address-dependent': 1,
  'address-and-port-dependent': 2,
  unknown: 2,
};

describeLab('NAT behaviours judged by coturn natdiscovery and the classic stun client', ['turnserver', 'turnutils_natdiscovery', 'stun'], () => {
  let lab: Lab<Key>;
  let turn: TurnServer;
  // Every site is judged at once (the judges mostly wait on 3 s timeouts); tests await their own.
  const verdicts = new Map<Key, Promise<Verdicts | { error: unknown }>>();

  beforeAll(async () => {
    const sites = Object.fromEntries(Object.entries(cases).map(([key, c]) => [key, c.site])) as Record<Key, SiteOptions>;
    lab = await createLab({ sites });
    turn = await startTurnServer(lab);
    for (const key of Object.keys(cases) as Key[]) {
      const host = lab.hosts[key];
      const judged = (async () => {
        const discovery = await runNatDiscovery(lab, host.ns, lab.serverAddresses[0]!);
        const classic = await runStunClient(lab, host.ns, lab.serverAddresses[0]!);
        return { discovery, classic };
      })();
      verdicts.set(key, judged.catch((error: unknown) => ({ error })));
    }
  });
  afterAll(async () => {
    await turn?.stop();
    await lab?.close();
  });

  for (const [key, expected] of Object.entries(cases) as [Key, Expectation][]) {
    const name = expected.site.topology === 'double-nat' ? `double NAT (CGN port-restricted, home ${expected.site.behavior})` : (expected.site.behavior ?? expected.site.topology);
    it(`${name}: natdiscovery says ${expected.mapping} mapping / ${expected.filtering} filtering, stun says ${expected.classic}`, async ({ task }) => {
      const host = lab.hosts[key];
      const judged = await verdicts.get(key)!;
      if ('error' in judged) throw judged.error;
      const { discovery, classic } = judged;
      // Measurements, visible in the JSON reporter's `meta`.
      Object.assign(task.meta, {
        natdiscoveryMs: discovery.durationMs,
        natdiscoveryTimeouts: discovery.timeouts,
        stunMs: classic.durationMs,
        stunVerdict: classic.verdictLine,
        stunExitCode: classic.exitCode,
      });

      expect({ mapping: discovery.mapping, filtering: discovery.filtering, noNat: discovery.noNat }, discovery.raw).toEqual({
        mapping: expected.mapping,
        filtering: expected.filtering,
        noNat: expected.noNat ?? false,
      });
      const timeouts = expectedTimeouts[expected.filtering];
      expect(discovery.timeouts, discovery.raw).toBe(timeouts);
      expect(discovery.durationMs).toBeGreaterThanOrEqual(timeouts * 3000 - 100);
      expect(discovery.durationMs).toBeLessThan(timeouts * 3000 + 3000);
      if (expected.mapping !== 'unknown') {
        expect(discovery.reflexiveAddresses.every((a) => a.startsWith(`${host.publicAddress}:`)), discovery.raw).toBe(true);
      }

      expect(classic.classic, classic.raw).toBe(expected.classic);
      expect(classic.classicFromCode).toBe(expected.classic);
      if (expected.preservesPorts !== undefined) expect(classic.preservesPorts).toBe(expected.preservesPorts);
    });
  }
});
