/**
 * IPv6 on real Linux: `natkit diagnose --ipv6` behind the three IPv6 plans of the lab (a routed
 * LAN behind a stateful firewall, the same with endpoint-independent filtering, and NAT66
 * masquerade), against `natkit serve` on 2001:db8::1/::2 and, where coturn can, against coturn;
 * and both families in one run from a dual-stack site.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FamilyReport } from '@natkit/stun';
import { runNatDiscovery } from './judges/nat-discovery.js';
import {
  createLab,
  describeLab,
  inBatches,
  ip6Ruleset,
  runNatkitDiagnose,
  startNatkitServe,
  startTurnServer,
  type Lab,
  type SiteOptions,
  type TurnServer,
} from './harness/index.js';

const PORT = 3478;
const COTURN_PORT = 3490;

const EIM = 'endpoint-independent';
const APDF = 'address-and-port-dependent';

const sites = {
  /** Port-restricted IPv4 NAT, IPv6 routed behind a stateful firewall: the common home router. */
  FW: { ipv6: 'firewall' },
  /** The same firewall letting in anyone once the host has sent from a port. */
  EIF: { ipv6: 'firewall-eif' },
  /** IPv6 translated to the router's WAN address. */
  N66: { ipv6: 'nat66' },
  /** Symmetric IPv4 NAT next to an IPv6 firewall: the families differ. */
  DS: { behavior: 'symmetric-random', ipv6: 'firewall' },
  /** UDP dropped on both families. */
  UB: { topology: 'udp-blocked', ipv6: 'firewall' },
  /** IPv4 only: no global IPv6 address, so no IPv6 diagnosis. */
  V4: { ipv6: 'none' },
} satisfies Record<string, SiteOptions>;
type Key = keyof typeof sites;

interface Expected6 {
  natDetected: boolean;
  mapping: string;
  filtering: string;
  classic: string;
  outlook: string;
  pattern: string;
}

const expected6: Partial<Record<Key, Expected6>> = {
  FW: { natDetected: false, mapping: EIM, filtering: APDF, classic: 'udp-firewall', outlook: 'punchable', pattern: 'preserving' },
  EIF: { natDetected: false, mapping: EIM, filtering: EIM, classic: 'open-internet', outlook: 'direct', pattern: 'preserving' },
  N66: { natDetected: true, mapping: EIM, filtering: APDF, classic: 'port-restricted-cone', outlook: 'punchable', pattern: 'preserving' },
};

interface Run {
  code: number | null;
  ipv4: FamilyReport | null;
  ipv6: FamilyReport | null;
  raw: string;
  durationMs: number;
}

/** natkit's `--timeout` in these runs, ms. */
const TIMEOUT_MS = 1500;

async function diagnoseIn(lab: Lab, ns: string, servers: readonly string[], flags: readonly string[]): Promise<Run> {
  const r = await runNatkitDiagnose(lab, ns, servers, ['--timeout', String(TIMEOUT_MS), ...flags]);
  return { code: r.code, ipv4: r.report?.ipv4 ?? null, ipv6: r.report?.ipv6 ?? null, raw: r.raw, durationMs: r.durationMs };
}

function verdict6(r: FamilyReport | null): Record<string, unknown> {
  return {
    natDetected: r?.natDetected,
    mapping: r?.mapping,
    filtering: r?.filtering,
    classic: r?.classic,
    outlook: r?.outlook.verdict,
    pattern: r?.portAllocation.pattern,
  };
}

describeLab('IPv6 in the real-NAT lab: natkit diagnose behind IPv6 firewalls and NAT66', ['turnserver', 'turnutils_natdiscovery'], () => {
  let lab: Lab<Key>;
  let turn: TurnServer | undefined;
  /** Why coturn is not an RFC 5780 judge over IPv6 here (null: it is). */
  let coturnSkip: string | null = null;
  const ours = new Map<Key, Run>();
  const againstCoturn = new Map<Key, Run>();
  let server6 = '';
  let server4 = '';

  beforeAll(async () => {
    lab = await createLab({ sites });
    server6 = `[${lab.serverAddresses6[0]}]:${PORT}`;
    server4 = `${lab.serverAddresses[0]}:${PORT}`;
    // natkit serve binds one family per process: one for IPv6, one for IPv4.
    await Promise.all([startNatkitServe(lab, { addresses: lab.serverAddresses6, port: PORT }), startNatkitServe(lab, { port: PORT })]);
    try {
      turn = await startTurnServer(lab, { port: COTURN_PORT, listeningIps: lab.serverAddresses6 });
    } catch (error) {
      coturnSkip = `coturn did not start on the IPv6 server addresses: ${(error as Error).message.split('\n')[0]}`;
    }
    const keys = Object.keys(expected6) as Key[];
    await inBatches(keys, 3, async (key) => {
      ours.set(key, await diagnoseIn(lab, lab.hosts[key].ns, [server6], ['--ipv6']));
      if (turn) againstCoturn.set(key, await diagnoseIn(lab, lab.hosts[key].ns, [`[${lab.serverAddresses6[0]}]:${COTURN_PORT}`], ['--ipv6']));
    });
    if (turn && coturnSkip === null) {
      // RFC 5780 needs OTHER-ADDRESS: without it natkit reports the server as not behavior-discovery capable.
      const probe = againstCoturn.get('FW');
      if (probe?.ipv6?.servers[0]?.otherAddress == null) {
        coturnSkip = `coturn answers over IPv6 here but without OTHER-ADDRESS (no RFC 5780): ${probe?.raw.slice(0, 400) ?? 'no run'}`;
      }
    }
  }, 120_000);
  afterAll(async () => {
    await turn?.stop();
    await lab?.close();
  });

  it('builds the IPv6 plan next to the unchanged IPv4 one', async () => {
    expect(lab.serverAddresses6).toEqual(['2001:db8::1', '2001:db8::2']);
    expect(lab.serverAddresses).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(lab.hosts.FW).toMatchObject({ address: '100.64.1.2', publicAddress: '203.0.113.10', ipv6: 'firewall', address6: '2001:db8:1::2', gateway6: '2001:db8:1::1', publicAddress6: '2001:db8:1::2' });
    expect(lab.hosts.N66).toMatchObject({ ipv6: 'nat66', address6: '2001:db8:100:3::2', gateway6: '2001:db8:100:3::1', publicAddress6: '2001:db8::30' });
    expect(lab.hosts.V4).toMatchObject({ ipv6: 'none', address6: null, publicAddress6: null });
    expect(lab.nat('FW').ipv6).toEqual({ mode: 'firewall', wanAddress: '2001:db8::10', lanAddress: '2001:db8:1::1', lanCidr: '2001:db8:1::/64' });
    const br0 = await lab.exec(lab.ns.inet, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'br0', 'scope', 'global'], { timeoutMs: 5000 });
    expect(br0.stdout).toContain('2001:db8::1/64');
    expect(br0.stdout).toContain('2001:db8::2/64');
    expect(br0.stdout).not.toContain('tentative');
    const routes = await lab.exec(lab.ns.inet, ['ip', '-6', 'route', 'show'], { timeoutMs: 5000 });
    // Routed LANs via their router's WAN; NAT66 LANs are not routed; the rest goes nowhere.
    expect(routes.stdout).toContain('2001:db8:1::/64 via 2001:db8::10 dev br0');
    expect(routes.stdout).not.toContain('2001:db8:100:');
    expect(routes.stdout).toMatch(/default via 2001:db8:ffff::2 dev bh0/);
    const v4only = await lab.exec(lab.hosts.V4.ns, ['ip', '-6', '-o', 'addr', 'show', 'scope', 'global'], { timeoutMs: 5000 });
    expect(v4only.stdout.trim()).toBe('');
    const rules = await lab.exec(lab.nat('N66').ns, ['nft', 'list', 'table', 'ip6', 'nat'], { timeoutMs: 5000 });
    expect(rules.stdout).toMatch(/oifname "wan0" masquerade/);
  });

  it('every IPv6 router ruleset is accepted by nft (checked, nothing applied)', async () => {
    const modes = ['firewall', 'firewall-eif', 'nat66'] as const;
    const results = await Promise.all(
      modes.flatMap((mode) =>
        [false, true].map(async (blockUdp) => {
          const check = await lab.exec(lab.ns.inet, ['nft', '-c', '-f', '-'], { timeoutMs: 10_000, input: ip6Ruleset({ mode, wanIf: 'wan0', lanIf: 'lan0', blockUdp }) });
          return { mode, blockUdp, code: check.code, stderr: check.stderr };
        }),
      ),
    );
    expect(results.filter((r) => r.code !== 0)).toEqual([]);
  });

  for (const [key, e] of Object.entries(expected6) as [Key, Expected6][]) {
    it(`ipv6 '${sites[key].ipv6}': natkit diagnose --ipv6 against natkit serve reports ${e.classic}`, ({ task }) => {
      const run = ours.get(key)!;
      Object.assign(task.meta, { durationMs: run.durationMs });
      expect(run.code, run.raw).toBe(0);
      expect(run.ipv4, run.raw).toBeNull();
      expect(verdict6(run.ipv6), run.raw).toEqual(e);
      expect(run.ipv6?.localAddress?.address, run.raw).toBe(lab.hosts[key].address6);
      expect(run.ipv6?.mappedAddress?.address, run.raw).toBe(lab.hosts[key].publicAddress6);
      expect(run.ipv6?.externalAddresses, run.raw).toEqual([lab.hosts[key].publicAddress6]);
      expect(run.ipv6?.servers[0]?.otherAddress, run.raw).toEqual({ address: '2001:db8::2', port: PORT + 1 });
      expect(run.ipv6?.servers[0]?.behaviorDiscovery, run.raw).toBe(true);
      expect(run.ipv6?.carrierGradeNat.suspected, run.raw).toBe(false);
      expect(run.ipv6?.warnings, run.raw).toEqual([]);
    });

    it(`ipv6 '${sites[key].ipv6}': natkit diagnose --ipv6 against coturn reports the same`, ({ skip }) => {
      if (coturnSkip !== null) {
        // eslint-disable-next-line no-console -- the one visible note for a skipped sub-check
        console.warn(`[lab] ${coturnSkip}`);
        skip(coturnSkip);
      }
      const run = againstCoturn.get(key)!;
      expect(run.code, run.raw).toBe(0);
      expect(verdict6(run.ipv6), run.raw).toEqual(e);
      expect(run.ipv6?.mappedAddress?.address, run.raw).toBe(lab.hosts[key].publicAddress6);
      expect(run.ipv6?.servers[0]?.software, run.raw).toMatch(/Coturn/i);
      expect(run.ipv6?.servers[0]?.behaviorDiscovery, run.raw).toBe(true);
    });
  }

  // The lab's IPv6 rules judged by an independent client, as nat-behaviors.test.ts does for IPv4.
  it("coturn's natdiscovery judges the IPv6 firewall, the EIF firewall and NAT66 as natkit does", async ({ skip }) => {
    if (coturnSkip !== null) skip(coturnSkip);
    const keys = Object.keys(expected6) as Key[];
    const judged = await Promise.all(
      keys.map((key) => runNatDiscovery(lab, lab.hosts[key].ns, lab.serverAddresses6[0]!, { port: COTURN_PORT, localAddress: lab.hosts[key].address6! })),
    );
    judged.forEach((d, i) => {
      const e = expected6[keys[i]!]!;
      expect({ mapping: d.mapping, filtering: d.filtering, noNat: d.noNat }, d.raw).toEqual({ mapping: e.mapping, filtering: e.filtering, noNat: !e.natDetected });
    });
  }, 60_000);

  it('dual stack: one run reports the symmetric IPv4 NAT and the IPv6 firewall side by side', async () => {
    const run = await diagnoseIn(lab, lab.hosts.DS.ns, [server4, server6], []);
    expect(run.code, run.raw).toBe(0);
    expect({ mapping: run.ipv4?.mapping, filtering: run.ipv4?.filtering, classic: run.ipv4?.classic, outlook: run.ipv4?.outlook.verdict }, run.raw).toEqual({
      mapping: APDF,
      filtering: APDF,
      classic: 'symmetric',
      outlook: 'hard',
    });
    expect(run.ipv4?.natDetected, run.raw).toBe(true);
    expect(run.ipv4?.mappedAddress?.address, run.raw).toBe('203.0.113.40');
    expect(run.ipv4?.portAllocation.pattern, run.raw).toBe('random');
    expect(verdict6(run.ipv6), run.raw).toEqual(expected6.FW);
    expect(run.ipv6?.mappedAddress?.address, run.raw).toBe('2001:db8:4::2');
  });

  it('a server address typed in a non-canonical IPv6 form is answered (was: every answer taken for a wrong source, reported as blocked)', async () => {
    const run = await diagnoseIn(lab, lab.hosts.FW.ns, [`[2001:0db8:0:0::1]:${PORT}`], ['--ipv6']);
    expect(run.code, run.raw).toBe(0);
    expect(verdict6(run.ipv6), run.raw).toEqual(expected6.FW);
  });

  it('UDP blocked on both families: both reported blocked, exit 3', async () => {
    const run = await diagnoseIn(lab, lab.hosts.UB.ns, [server4, server6], []);
    expect(run.code, run.raw).toBe(3);
    expect(run.ipv4, run.raw).toMatchObject({ udp: false, udpFailure: 'no-response', classic: 'blocked' });
    expect(run.ipv6, run.raw).toMatchObject({ udp: false, udpFailure: 'no-response', classic: 'blocked' });
  });

  it('an IPv4-only host reports IPv6 as having no route, at once (was: blocked, after the timeout), IPv4 as usual', async () => {
    const run = await diagnoseIn(lab, lab.hosts.V4.ns, [server4, server6], []);
    expect(run.code, run.raw).toBe(0);
    expect(run.ipv4?.classic, run.raw).toBe('port-restricted-cone');
    expect(run.ipv6, run.raw).toMatchObject({ udp: false, udpFailure: 'no-route', classic: 'unknown' });
    expect(run.ipv6?.durationMs, run.raw).toBeLessThan(500);
  });

  for (const key of ['FW', 'N66'] as const) {
    it(`ipv6 '${sites[key].ipv6}': no server on the port: ICMPv6 port unreachable comes back through the router, reported at once as no-server`, async () => {
      const run = await diagnoseIn(lab, lab.hosts[key].ns, [`[${lab.serverAddresses6[1]}]:3999`], ['--ipv6']);
      expect(run.code, run.raw).toBe(3);
      expect(run.ipv6, run.raw).toMatchObject({ udp: false, udpFailure: 'no-server', classic: 'unknown' });
      // The diagnosis's own time, not the process's (whose start-up alone can take seconds on a
      // loaded machine): the timeout was not waited out.
      expect(run.ipv6?.durationMs, run.raw).toBeLessThan(TIMEOUT_MS);
    });
  }

  it('the firewall lets in only replies from where the routed host sent to; the EIF firewall lets anyone in once the host has sent', async () => {
    // The host sends one datagram from port 40000 to [2001:db8::1]:9. Then, from inet, a stranger
    // writes from [2001:db8::2]:<ephemeral>, and after it a reply comes from [2001:db8::1]:9, on the
    // same path: once the reply is in, so is anything of the stranger's that the firewall let
    // through. The listener runs until the reply came (was: 1.5 s from its start, which a loaded
    // machine spent starting the sender).
    const listen = String.raw`
const dgram = require('node:dgram');
const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
s.on('message', (m, r) => { process.stdout.write('got ' + m + ' from ' + r.address + '\n'); });
s.bind(40000, () => { s.send('hello', 9, '2001:db8::1', () => process.stdout.write('ready\n')); });
setTimeout(() => process.exit(3), 60_000); // a bound only: the test stops it
`;
    const send = String.raw`
const dgram = require('node:dgram');
const [to] = process.argv.slice(1);
const from = (text, address, port) => new Promise((done) => {
  const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  s.bind({ address, port }, () => { let n = 0; const t = setInterval(() => { s.send(text, 40000, to); if (++n === 3) { clearInterval(t); s.close(); done(); } }, 50); });
});
from('stranger', '2001:db8::2', 0).then(() => from('reply', '2001:db8::1', 9)).then(() => process.exit(0));
`;
    // Budgets for starting node on a loaded machine; nothing here is timed.
    const outcome = async (key: 'FW' | 'EIF'): Promise<string> => {
      const listener = await lab.spawn(lab.hosts[key].ns, [process.execPath, '-e', listen]);
      try {
        await listener.waitForOutput(/ready/, 30_000);
        const sent = await lab.exec(lab.ns.inet, [process.execPath, '-e', send, '--', lab.hosts[key].address6!], { timeoutMs: 30_000 });
        expect(sent.code, sent.stderr).toBe(0);
        await listener.waitForOutput(/got reply/, 10_000);
        return listener.stdout;
      } finally {
        await listener.stop({ graceMs: 500 });
      }
    };
    // One after the other: both send from [2001:db8::1]:9.
    const fw = await outcome('FW');
    const eif = await outcome('EIF');
    expect(fw).toContain('got reply from 2001:db8::1');
    expect(fw).not.toContain('got stranger');
    expect(eif).toContain('got reply from 2001:db8::1');
    expect(eif).toContain('got stranger from 2001:db8::2');
  });
}, { ipv6: true });
