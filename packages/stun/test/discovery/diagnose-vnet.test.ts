/**
 * The NAT behavior discovery over the virtual network: every RFC 4787 mapping x filtering pair,
 * the port allocation patterns, hairpinning, no NAT, blocked UDP, carrier-grade NATs and abort,
 * against the natkit RFC 5780 server, with a manual clock (no test takes real time).
 */
import { describe, expect, it } from 'vitest';
import type { EndpointDependency, NatOptions, Router } from '@natkit/vnet';
import { diagnose, type DiagnoseOptions, type FamilyReport } from '../../src/index.js';
import { ADM, APDM, createSite, EIM, PRIMARY } from './vnet-site.js';

async function diagnoseBehind(nat: NatOptions, extra: Partial<DiagnoseOptions> = {}): Promise<FamilyReport> {
  const site = await createSite({ nat });
  try {
    return (await site.diagnose(extra)).report;
  } finally {
    await site.close();
  }
}

const short: Record<EndpointDependency, string> = { 'endpoint-independent': 'EIM', 'address-dependent': 'ADM', 'address-and-port-dependent': 'APDM' };
const classicOf = (mapping: EndpointDependency, filtering: EndpointDependency): string =>
  mapping !== EIM ? 'symmetric' : filtering === EIM ? 'full-cone' : filtering === ADM ? 'restricted-cone' : 'port-restricted-cone';

describe('diagnose over vnet: RFC 4787 mapping x filtering', () => {
  const combos = [EIM, ADM, APDM].flatMap((mapping) => [EIM, ADM, APDM].map((filtering) => ({ mapping, filtering })));
  it.each(combos)('$mapping mapping + $filtering filtering', async ({ mapping, filtering }) => {
    const r = await diagnoseBehind({ mapping, filtering, portAllocation: 'preserve' });
    const classic = classicOf(mapping, filtering);
    expect({ mapping: r.mapping, filtering: r.filtering, classic: r.classic }, `${short[mapping]}+${short[filtering].replace('M', 'F')}`).toEqual({
      mapping,
      filtering,
      classic,
    });
    expect(r).toMatchObject({ udp: true, natDetected: true, algDetected: false });
    expect(r.mappedAddress?.address).toBe('203.0.113.10');
    expect(r.outlook.verdict).toBe(classic === 'full-cone' ? 'direct' : classic === 'symmetric' ? 'hard' : 'punchable');
    // Proven where the NAT lets an answer from another address or port in; never disproven.
    expect(r.servers[0]?.behaviorDiscovery).toBe(mapping === EIM || filtering !== APDM ? true : null);
    // The NAT does not hairpin: a clear "no" where a hairpinned packet could pass the filter,
    // "inconclusive" (with a warning) where it would be filtered anyway.
    const hairpinKnown = mapping === EIM || filtering === EIM;
    expect(r.hairpinning).toBe(hairpinKnown ? false : null);
    expect(r.warnings).toEqual(hairpinKnown ? [] : [expect.stringMatching(/^hairpinning: inconclusive/)]);
  });
});

describe('diagnose over vnet: port allocation', () => {
  // Sequential NATs start far from the client's ephemeral ports (49152+), so that a counter is
  // not mistaken for preservation. A step of 64 511 (or 64 256) is -1 (or -256) modulo the
  // 64 512 ports of the range.
  const cases: { name: string; nat: NatOptions; pattern: string; delta: number | null; preserved: boolean }[] = [
    { name: 'preserve', nat: { portAllocation: 'preserve' }, pattern: 'preserving', delta: null, preserved: true },
    { name: 'sequential +1', nat: { portAllocation: 'sequential', delta: 1, firstPort: 20000 }, pattern: 'sequential', delta: 1, preserved: false },
    { name: 'sequential +256', nat: { portAllocation: 'sequential', delta: 256, firstPort: 20000 }, pattern: 'sequential', delta: 256, preserved: false },
    { name: 'sequential -1', nat: { portAllocation: 'sequential', delta: 64511, firstPort: 40000 }, pattern: 'sequential', delta: -1, preserved: false },
    { name: 'sequential -256', nat: { portAllocation: 'sequential', delta: 64256, firstPort: 40000 }, pattern: 'sequential', delta: -256, preserved: false },
    { name: 'random', nat: { portAllocation: 'random' }, pattern: 'random', delta: null, preserved: false },
  ];
  for (const mapping of [EIM, APDM]) {
    // APDM with 'preserve' is a scenario of its own (below).
    it.each(mapping === EIM ? cases : cases.slice(1))(`${short[mapping]}: $name ports are reported as $pattern ($delta)`, async ({ nat, pattern, delta, preserved }) => {
      const r = await diagnoseBehind({ ...nat, mapping });
      expect(r.portAllocation.pattern, JSON.stringify(r.portAllocation)).toBe(pattern);
      expect(r.portAllocation.delta).toBe(delta);
      expect(r.portPreservation).toBe(preserved);
      // Main socket, filtering socket and 4 allocation sockets at least; APDM adds tests II and III.
      expect(r.portAllocation.samples.length).toBeGreaterThanOrEqual(mapping === EIM ? 6 : 8);
      expect(r.mapping).toBe(mapping);
    });
  }

  it('APDM with preserve-else-next-free over consecutive local ports reads as sequential +1, not preserving', async () => {
    // The main socket keeps its port; its extra mappings (tests II, III) take the next ports,
    // which the next sockets' own ports then collide with: what is observed is a +1 counter.
    const r = await diagnoseBehind({ mapping: APDM, portAllocation: 'preserve' });
    expect(r.mappedAddress?.port).toBe(r.localAddress?.port);
    expect(r.portPreservation).toBe(false);
    expect(r.portAllocation).toMatchObject({ pattern: 'sequential', delta: 1 });
  });

  it('a symmetric NAT with sequential ports gets the port-prediction outlook with its step', async () => {
    const r = await diagnoseBehind({ mapping: APDM, filtering: APDM, portAllocation: 'sequential', delta: 256, firstPort: 20000 });
    expect(r.outlook.verdict).toBe('hard');
    expect(r.outlook.reason).toMatch(/step by 256/);
  });
});

describe('diagnose over vnet: hairpinning', () => {
  const filterings = [EIM, ADM, APDM];
  it.each(filterings)('an EIM NAT with %s filtering that hairpins is reported as hairpinning', async (filtering) => {
    expect((await diagnoseBehind({ mapping: EIM, filtering, hairpinning: true })).hairpinning).toBe(true);
  });
  it.each(filterings)('an EIM NAT with %s filtering that does not hairpin is reported as not hairpinning', async (filtering) => {
    expect((await diagnoseBehind({ mapping: EIM, filtering, hairpinning: false })).hairpinning).toBe(false);
  });
  it('an endpoint-dependent NAT without filtering shows its hairpinning either way', async () => {
    expect((await diagnoseBehind({ mapping: APDM, filtering: EIM, hairpinning: true })).hairpinning).toBe(true);
    expect((await diagnoseBehind({ mapping: APDM, filtering: EIM, hairpinning: false })).hairpinning).toBe(false);
  });
  it.each([ADM, APDM])('behind %s mapping with filtering, silence is inconclusive (null), never a false "no"', async (mapping) => {
    // Each side's send opens a new mapping; the other's packet meets one that has contacted only
    // the server and is filtered whether or not the NAT hairpins.
    for (const hairpinning of [true, false]) {
      const r = await diagnoseBehind({ mapping, filtering: APDM, hairpinning });
      expect(r.hairpinning, `NAT hairpinning: ${hairpinning}`).toBeNull();
      expect(r.warnings.join('\n')).toMatch(/hairpinning: inconclusive/);
    }
  });
  it('without hairpin: true the test is not run', async () => {
    expect((await diagnoseBehind({ hairpinning: true }, { hairpin: false })).hairpinning).toBeNull();
  });
});

describe('diagnose over vnet: no NAT, blocked UDP', () => {
  it('a host directly on the internet is open-internet with preserved ports', async () => {
    const site = await createSite({ below: (vnet) => vnet.internet });
    try {
      const { report: r } = await site.diagnose();
      expect(r).toMatchObject({
        udp: true,
        natDetected: false,
        mapping: EIM,
        filtering: EIM,
        classic: 'open-internet',
        portPreservation: true,
        hairpinning: true,
      });
      expect(r.mappedAddress).toEqual(r.localAddress);
      expect(r.outlook.verdict).toBe('direct');
      expect(r.carrierGradeNat.suspected).toBe(false);
    } finally {
      await site.close();
    }
  });

  it('a router that drops all UDP is blocked, relay-only, within the first-contact budget', async () => {
    const site = await createSite({ below: (vnet) => vnet.createRouter(vnet.internet, { blocked: true }) });
    try {
      const { report: r, virtualMs } = await site.diagnose({ timeoutMs: 1000 });
      expect(r).toMatchObject({ udp: false, udpFailure: 'no-response', classic: 'blocked', mapping: 'unknown', filtering: 'unknown' });
      expect(r.outlook.verdict).toBe('relay-only');
      expect(virtualMs).toBeLessThanOrEqual(1000);
      expect(site.vnet.stats().drops.blocked).toBeGreaterThanOrEqual(5);
    } finally {
      await site.close();
    }
  });
});

describe('diagnose over vnet: carrier-grade NATs', () => {
  it('a host on a carrier-grade NAT LAN (100.64.0.0/10) is suspected to be behind one', async () => {
    const site = await createSite({
      below: (vnet) => vnet.createRouter(vnet.internet, { name: 'cgn', nat: { mapping: EIM, filtering: APDM }, ipv4Cidr: '100.64.0.0/24' }),
    });
    try {
      const { report: r } = await site.diagnose();
      expect(r.localAddress?.address).toMatch(/^100\.64\.0\./);
      expect(r.carrierGradeNat.suspected).toBe(true);
      expect(r.carrierGradeNat.reasons.join('\n')).toMatch(/100\.64\.0\.0\/10/);
      expect(r.externalAddresses).toHaveLength(1);
    } finally {
      await site.close();
    }
  });

  it('a full-cone home NAT behind a port-restricted CGN is diagnosed by the chain as a whole (port-restricted)', async () => {
    let cgn: Router | undefined;
    const site = await createSite({
      below: (vnet) => {
        cgn = vnet.createRouter(vnet.internet, { name: 'cgn', nat: { mapping: EIM, filtering: APDM }, ipv4Cidr: '100.64.0.0/24' });
        return vnet.createRouter(cgn, { name: 'home', nat: { mapping: EIM, filtering: EIM }, ipv4Cidr: '192.168.1.0/24' });
      },
    });
    try {
      const { report: r } = await site.diagnose();
      expect({ mapping: r.mapping, filtering: r.filtering, classic: r.classic }).toEqual({
        mapping: EIM,
        filtering: APDM,
        classic: 'port-restricted-cone',
      });
      expect(r.mappedAddress?.address).toBe(cgn?.externalAddresses[0]);
      expect(r.externalAddresses).toEqual([cgn?.externalAddresses[0]]);
      // STUN sees only the outer NAT: a CGN behind a home NAT with one public address leaves no
      // sign in the answers (RFC 6888 §3); the report must not invent one.
      expect(r.carrierGradeNat).toEqual({ suspected: false, reasons: [] });
    } finally {
      await site.close();
    }
  });

  it('a symmetric CGN behind a full-cone home NAT makes the whole path symmetric', async () => {
    const site = await createSite({
      below: (vnet) => {
        const cgn = vnet.createRouter(vnet.internet, { name: 'cgn', nat: { mapping: APDM, filtering: APDM, portAllocation: 'random' } });
        return vnet.createRouter(cgn, { name: 'home', nat: { mapping: EIM, filtering: EIM } });
      },
    });
    try {
      const { report: r } = await site.diagnose();
      expect({ mapping: r.mapping, filtering: r.filtering, classic: r.classic, pattern: r.portAllocation.pattern }).toEqual({
        mapping: APDM,
        filtering: APDM,
        classic: 'symmetric',
        pattern: 'random',
      });
    } finally {
      await site.close();
    }
  });

  const pool = ['203.0.113.50', '203.0.113.51'];
  it("an 'arbitrary' pooling NAT with two external addresses shows both, and a CGN is suspected", async () => {
    const site = await createSite({
      below: (vnet) => vnet.createRouter(vnet.internet, { externalAddresses: pool, nat: { mapping: EIM, filtering: APDM, pooling: 'arbitrary' } }),
    });
    try {
      const { report: r } = await site.diagnose();
      expect([...r.externalAddresses].sort()).toEqual(pool);
      expect(r.carrierGradeNat.suspected).toBe(true);
      expect(r.carrierGradeNat.reasons.join('\n')).toMatch(/2 different external IPs/);
      // One socket keeps one mapping: the mapping is still endpoint-independent.
      expect(r.mapping).toBe(EIM);
    } finally {
      await site.close();
    }
  });

  it("a 'paired' pooling NAT with the same two addresses shows one: nothing to suspect", async () => {
    const site = await createSite({
      below: (vnet) => vnet.createRouter(vnet.internet, { externalAddresses: pool, nat: { mapping: EIM, filtering: APDM, pooling: 'paired' } }),
    });
    try {
      const { report: r } = await site.diagnose();
      expect(r.externalAddresses).toHaveLength(1);
      expect(r.carrierGradeNat.suspected).toBe(false);
    } finally {
      await site.close();
    }
  });
});

describe('diagnose over vnet: time and abort', () => {
  const nats: Record<string, NatOptions> = {
    'full cone, hairpinning': { mapping: EIM, filtering: EIM, hairpinning: true },
    'port-restricted cone, no hairpinning': { mapping: EIM, filtering: APDM },
    'symmetric, random ports': { mapping: APDM, filtering: APDM, portAllocation: 'random' },
    'address-dependent, sequential 256': { mapping: ADM, filtering: ADM, portAllocation: 'sequential', delta: 256, firstPort: 20000 },
  };
  it.for(Object.entries(nats))('%s: mapping, filtering, allocation and hairpinning take < 500 ms of virtual time', async ([, nat], { task }) => {
    const site = await createSite({ nat });
    try {
      const { report: r, virtualMs } = await site.diagnose();
      expect(r.filtering).toBe(nat.filtering);
      expect(r.hairpinning).not.toBeUndefined();
      Object.assign(task.meta, { virtualMs });
      expect(virtualMs).toBeLessThan(500);
      expect(r.durationMs).toBe(virtualMs);
      expect(site.client.openSockets).toBe(0);
    } finally {
      await site.close();
    }
  });

  it('an AbortSignal stops a diagnosis under the manual clock, and every socket is closed', async () => {
    const site = await createSite({ nat: { mapping: EIM, filtering: APDM } });
    try {
      const controller = new AbortController();
      site.clock.setTimeout(() => controller.abort(new Error('stop')), 100);
      const before = site.clock.now();
      const run = diagnose({ servers: [PRIMARY], families: [4], hairpin: true, signal: controller.signal }, { network: site.client.network, clock: site.clock });
      await expect(site.clock.runUntil(run)).rejects.toThrow('stop');
      // Stopped where the abort fired, before the filtering tests' silence was waited out.
      expect(site.clock.now() - before).toBeLessThan(200);
      expect(site.client.openSockets).toBe(0);
    } finally {
      await site.close();
    }
  });

  it('an aborted signal rejects before anything is sent', async () => {
    const site = await createSite({});
    try {
      const sent = site.vnet.stats().sent;
      await expect(
        diagnose({ servers: [PRIMARY], families: [4], signal: AbortSignal.abort() }, { network: site.client.network, clock: site.clock }),
      ).rejects.toMatchObject({ name: 'AbortError' });
      expect(site.vnet.stats().sent).toBe(sent);
    } finally {
      await site.close();
    }
  });
});
