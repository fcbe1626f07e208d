import { describe, expect, it } from 'vitest';
import type { Endpoint } from '@natkit/net';
import {
  createPrng,
  isNatDrop,
  NatTable,
  type EndpointDependency,
  type NatOptions,
  type PortAllocation,
} from '../../src/index.js';

const EXT = '198.51.100.1';
const S: Endpoint = { address: '10.0.0.2', port: 5000 };
const R1: Endpoint = { address: '203.0.113.1', port: 3478 };
const R2: Endpoint = { address: '203.0.113.1', port: 3479 }; // same address, other port
const R3: Endpoint = { address: '203.0.113.2', port: 3478 }; // other address

const dependencies: EndpointDependency[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const allocations: PortAllocation[] = ['preserve', 'sequential', 'random'];

function table(options: NatOptions, seed = 9): NatTable {
  return new NatTable({ behavior: { firstPort: 40000, ...options }, externalAddresses: [EXT], random: createPrng(seed) });
}

function out(t: NatTable, src: Endpoint, dst: Endpoint, now = 0): Endpoint | string {
  const r = t.translateOutbound(src, dst, now);
  return isNatDrop(r) ? r.drop : { address: r.address, port: r.port };
}

function inbound(t: NatTable, src: Endpoint, dst: Endpoint, now = 0): Endpoint | string {
  const r = t.translateInbound(src, dst, now);
  return isNatDrop(r) ? r.drop : { address: r.address, port: r.port };
}

/** Expected external ports for S -> R1, S -> R2, S -> R3, in that order. */
function expectedPorts(mapping: EndpointDependency, allocation: PortAllocation, seed: number): number[] {
  // Distinct mappings each take the next port: which of the three are distinct depends on mapping.
  const distinctIndex = {
    'endpoint-independent': [0, 0, 0],
    'address-dependent': [0, 0, 1],
    'address-and-port-dependent': [0, 1, 2],
  }[mapping];
  const ref = createPrng(seed);
  const randomPorts = [0, 1, 2].map(() => 1024 + ref.int(65535 - 1024 + 1));
  const ports = { preserve: [5000, 5001, 5002], sequential: [40000, 40001, 40002], random: randomPorts }[allocation];
  return distinctIndex.map((i) => ports[i] as number);
}

const filteringVerdicts: Record<EndpointDependency, [string, string, string]> = {
  'endpoint-independent': ['pass', 'pass', 'pass'],
  'address-dependent': ['pass', 'pass', 'filtered'],
  'address-and-port-dependent': ['pass', 'filtered', 'filtered'],
};

describe('NatTable: every mapping x filtering x port allocation', () => {
  for (const mapping of dependencies) {
    for (const filtering of dependencies) {
      for (const portAllocation of allocations) {
        it(`${mapping} mapping, ${filtering} filtering, ${portAllocation} ports`, () => {
          const t = table({ mapping, filtering, portAllocation });
          const ports = expectedPorts(mapping, portAllocation, 9);
          expect([out(t, S, R1), out(t, S, R2), out(t, S, R3)]).toEqual(ports.map((port) => ({ address: EXT, port })));

          // Filtering, on a fresh table where S has sent to R1 only.
          const f = table({ mapping, filtering, portAllocation });
          const e1 = out(f, S, R1) as Endpoint;
          const verdicts = [R1, R2, R3].map((r) => {
            const v = inbound(f, r, e1);
            return typeof v === 'string' ? v : (expect(v).toEqual(S), 'pass');
          });
          expect(verdicts).toEqual(filteringVerdicts[filtering]);
          expect(inbound(f, R1, { address: EXT, port: e1.port === 65535 ? 1024 : e1.port + 1 })).toBe('no-mapping');
        });
      }
    }
  }
});

describe('NatTable: ports, lifetimes, limits', () => {
  it('preserve takes the next free port when the internal port is taken', () => {
    const t = table({ portAllocation: 'preserve' });
    expect(out(t, { address: '10.0.0.2', port: 6000 }, R1)).toEqual({ address: EXT, port: 6000 });
    expect(out(t, { address: '10.0.0.3', port: 6000 }, R1)).toEqual({ address: EXT, port: 6001 });
    expect(out(t, { address: '10.0.0.4', port: 6000 }, R1)).toEqual({ address: EXT, port: 6002 });
  });

  it('sequential with a negative delta counts down', () => {
    const t = table({ mapping: 'address-and-port-dependent', portAllocation: 'sequential', delta: -1, firstPort: 40000 });
    expect([R1, R2, R3].map((dst) => out(t, S, dst))).toEqual([
      { address: EXT, port: 40000 },
      { address: EXT, port: 39999 },
      { address: EXT, port: 39998 },
    ]);
  });

  it('sequential with delta 256 steps like the lab nftables numgen rule (byte-swapped counter)', () => {
    const t = table({ mapping: 'address-and-port-dependent', portAllocation: 'sequential', delta: 256, firstPort: 12405 });
    const ports = [R1, R2, R3].map((r) => (out(t, S, r) as Endpoint).port);
    expect(ports).toEqual([12405, 12661, 12917]);
  });

  it('sequential wraps inside the port range and skips ports in use', () => {
    const t = table({ mapping: 'address-and-port-dependent', portAllocation: 'sequential', portRange: [2000, 2002], firstPort: 2001 });
    const ports = [1, 2, 3].map((i) => (out(t, S, { address: '203.0.113.9', port: i }) as Endpoint).port);
    expect(ports).toEqual([2001, 2002, 2000]);
    expect(out(t, S, { address: '203.0.113.9', port: 4 })).toBe('port-exhausted');
  });

  it('expires a mapping after its lifetime; outbound traffic refreshes it', () => {
    const t = table({ mappingLifetimeMs: 1000 });
    const e = out(t, S, R1, 0) as Endpoint;
    expect(inbound(t, R1, e, 999)).toEqual(S);
    expect(out(t, S, R1, 900)).toEqual(e); // refreshed until 1900
    expect(inbound(t, R1, e, 1899)).toEqual(S);
    expect(inbound(t, R1, e, 1900)).toBe('expired');
    expect(inbound(t, R1, e, 1901)).toBe('no-mapping');
  });

  it('inbound traffic refreshes a mapping only with inboundRefresh', () => {
    for (const inboundRefresh of [false, true]) {
      const t = table({ mappingLifetimeMs: 1000, inboundRefresh });
      const e = out(t, S, R1, 0) as Endpoint;
      expect(inbound(t, R1, e, 800)).toEqual(S);
      expect(inbound(t, R1, e, 1500)).toEqual(inboundRefresh ? S : 'expired');
    }
  });

  it('drops new mappings beyond maxMappingsPerHost, and allows them again once old ones expire', () => {
    const t = table({ mapping: 'address-and-port-dependent', maxMappingsPerHost: 2, mappingLifetimeMs: 1000 });
    expect(typeof out(t, S, R1)).toBe('object');
    expect(typeof out(t, S, R2)).toBe('object');
    expect(out(t, S, R3)).toBe('mapping-limit');
    expect(typeof out(t, { address: '10.0.0.3', port: 1 }, R3)).toBe('object'); // another host
    expect(typeof out(t, S, R1, 500)).toBe('object'); // existing mapping: no new one needed
    expect(typeof out(t, S, R3, 1200)).toBe('object'); // R2's mapping has expired
  });

  it('paired pooling keeps one external address per internal address; arbitrary spreads mappings', () => {
    const pool = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
    const paired = new NatTable({ behavior: { mapping: 'address-and-port-dependent' }, externalAddresses: pool });
    const pairedAddresses = new Set([R1, R2, R3].map((r) => (paired.translateOutbound(S, r, 0) as Endpoint).address));
    expect(pairedAddresses.size).toBe(1);
    expect((paired.translateOutbound({ address: '10.0.0.3', port: 1 }, R1, 0) as Endpoint).address).not.toBe([...pairedAddresses][0]);

    const arbitrary = new NatTable({
      behavior: { mapping: 'address-and-port-dependent', pooling: 'arbitrary' },
      externalAddresses: pool,
      random: createPrng(3),
    });
    const spread = new Set(
      Array.from({ length: 30 }, (_, i) => (arbitrary.translateOutbound(S, { address: '203.0.113.1', port: 1000 + i }, 0) as Endpoint).address),
    );
    expect(spread.size).toBe(3);
  });

  it('as a firewall (no translation) keeps the endpoint and reports unsolicited inbound as filtered', () => {
    const fw = new NatTable({ behavior: { filtering: 'address-and-port-dependent' }, translate: false });
    const v6 = { address: '2001:db8:101::2', port: 7000 };
    const remote = { address: '2001:db8::1', port: 3478 };
    expect(inbound(fw, remote, v6)).toBe('filtered');
    expect(out(fw, v6, remote)).toEqual(v6);
    expect(inbound(fw, remote, v6)).toEqual(v6);
    expect(inbound(fw, { ...remote, port: 3479 }, v6)).toBe('filtered');
  });

  it('lists live mappings and sweeps expired ones', () => {
    const t = table({ mapping: 'address-and-port-dependent', mappingLifetimeMs: 100 });
    out(t, S, R1, 0);
    out(t, S, R2, 50);
    expect(t.mappings(120).map((m) => m.external.port)).toEqual([5001]);
    t.sweep(120);
    expect(t.size).toBe(1);
  });
});
