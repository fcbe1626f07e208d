import { describe, expect, it } from 'vitest';
import {
  assessOutlook,
  classifyClassic,
  classifyFiltering,
  classifyMapping,
  classifyMappingFanOut,
  classifyPortAllocation,
  detectCarrierGradeNat,
  portDelta,
  sequentialStep,
  type AllocationSample,
  type EndpointDependency,
  type ProbeOutcome,
} from '../../src/index.js';

const e = (address: string, port: number) => ({ address, port });

describe('classifyMapping (RFC 5780 §4.3)', () => {
  const m1 = e('198.51.100.7', 40000);
  it.each([
    ['endpoint-independent', m1, m1, m1],
    ['address-dependent', m1, e('198.51.100.7', 40001), e('198.51.100.7', 40001)],
    ['address-and-port-dependent', m1, e('198.51.100.7', 40001), e('198.51.100.7', 40002)],
    ['address-and-port-dependent', m1, m1, e('198.51.100.7', 40002)],
    ['unknown', null, m1, m1],
    ['unknown', m1, null, m1],
    ['unknown', m1, e('198.51.100.7', 40001), null],
  ] as const)('%s from I=%j II=%j III=%j', (expected, test1, test2, test3) => {
    expect(classifyMapping({ test1, test2, test3 }).value).toBe(expected);
  });

  it('fan-out over plain servers: equal mappings mean EIM, differing ones vary', () => {
    const s1 = e('203.0.113.1', 3478);
    const s2 = e('203.0.113.2', 3478);
    expect(classifyMappingFanOut([{ server: s1, mapped: m1 }, { server: s2, mapped: m1 }]).value).toBe('endpoint-independent');
    const varies = classifyMappingFanOut([{ server: s1, mapped: m1 }, { server: s2, mapped: e('198.51.100.7', 1) }]);
    expect(varies).toMatchObject({ value: 'unknown', varies: true });
    expect(classifyMappingFanOut([{ server: s1, mapped: m1 }]).value).toBe('unknown');
  });
});

describe('classifyFiltering (RFC 5780 §4.4)', () => {
  it.each([
    ['answered', 'answered', true, 'endpoint-independent'],
    ['answered', 'silent', true, 'endpoint-independent'],
    ['silent', 'answered', true, 'address-dependent'],
    ['silent', 'silent', true, 'address-and-port-dependent'],
    ['silent', 'silent', false, 'unknown'],
    ['wrong-source', 'wrong-source', true, 'unknown'],
    ['error', 'error', true, 'unknown'],
    ['not-run', 'not-run', false, 'unknown'],
  ] as [ProbeOutcome, ProbeOutcome, boolean, string][])('II=%s III=%s alive=%s gives %s', (ii, iii, alive, expected) => {
    expect(classifyFiltering({ changeIpAndPort: ii, changePort: iii, serverAlive: alive }).value).toBe(expected);
  });
});

describe('port allocation', () => {
  const sample = (mappedPort: number, order: number, localPort = 5000 + order): AllocationSample => ({
    localPort,
    mappedPort,
    order,
    firstOfSocket: true,
  });
  it('wraps port deltas to the shortest signed distance', () => {
    expect(portDelta(65535, 1)).toBe(2);
    expect(portDelta(1, 65535)).toBe(-2);
  });
  it('finds preservation', () => {
    expect(classifyPortAllocation([sample(5000, 0), sample(5001, 1), sample(5002, 2)]).pattern).toBe('preserving');
  });
  it('finds a sequential step of 1 even with gaps taken by other traffic', () => {
    const a = classifyPortAllocation([sample(20000, 0), sample(20001, 1), sample(20003, 2), sample(20004, 3)]);
    expect(a).toMatchObject({ pattern: 'sequential', delta: 1 });
  });
  it('finds the byte-swapped step of 256 (nftables numgen, nat-lab.md)', () => {
    const a = classifyPortAllocation([12405, 12661, 12917, 13173].map((p, i) => sample(p, i)));
    expect(a).toMatchObject({ pattern: 'sequential', delta: 256 });
  });
  it('orders samples by send order, not by arrival', () => {
    expect(classifyPortAllocation([sample(30002, 2), sample(30000, 0), sample(30001, 1)]).delta).toBe(1);
  });
  it('reads the step through loss that reorders allocations (a first packet lost, its retransmission allocated later)', () => {
    const a = classifyPortAllocation([20001, 20000, 20002, 20004, 20003].map((p, i) => sample(p, i)));
    expect(a).toMatchObject({ pattern: 'sequential', delta: 1 });
  });
  it('keeps a run that crosses 65535 to 0 in one piece, and takes the direction from the send order', () => {
    expect(classifyPortAllocation([65534, 65535, 0, 1].map((p, i) => sample(p, i)))).toMatchObject({ pattern: 'sequential', delta: 1 });
    expect(classifyPortAllocation([3000, 2999, 2997, 2996].map((p, i) => sample(p, i)))).toMatchObject({ pattern: 'sequential', delta: -1 });
  });
  it('calls scattered ports random', () => {
    expect(classifyPortAllocation([sample(41234, 0), sample(1777, 1), sample(60001, 2), sample(23456, 3)]).pattern).toBe('random');
  });
  it('needs at least three distinct ports to judge', () => {
    expect(classifyPortAllocation([sample(41234, 0), sample(41235, 1)]).pattern).toBe('unknown');
  });
  it('tolerates one outlier in four steps, not two', () => {
    expect(sequentialStep([256, 256, 257, 256])).toBe(256);
    expect(sequentialStep([256, 9000, 257, 256])).toBe(null);
    expect(sequentialStep([-1, -1, -2])).toBe(-1);
  });
});

describe('classic names for all nine combinations', () => {
  const deps: EndpointDependency[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
  const expected: Record<string, string> = {
    'endpoint-independent/endpoint-independent': 'full-cone',
    'endpoint-independent/address-dependent': 'restricted-cone',
    'endpoint-independent/address-and-port-dependent': 'port-restricted-cone',
  };
  for (const mapping of deps) {
    for (const filtering of deps) {
      const name = expected[`${mapping}/${filtering}`] ?? 'symmetric';
      it(`${mapping} mapping + ${filtering} filtering is ${name}`, () => {
        expect(classifyClassic({ udp: true, natDetected: true, mapping, filtering })).toBe(name);
      });
    }
  }
  it('no NAT: open internet or a UDP firewall; no UDP: blocked', () => {
    expect(classifyClassic({ udp: true, natDetected: false, mapping: 'endpoint-independent', filtering: 'endpoint-independent' })).toBe('open-internet');
    expect(classifyClassic({ udp: true, natDetected: false, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' })).toBe('udp-firewall');
    expect(classifyClassic({ udp: false, natDetected: null, mapping: 'unknown', filtering: 'unknown' })).toBe('blocked');
  });
  it('outlook follows the verdict', () => {
    const random = { pattern: 'random' as const, delta: null, samples: [] };
    expect(assessOutlook('full-cone', 'endpoint-independent', random).verdict).toBe('direct');
    expect(assessOutlook('port-restricted-cone', 'endpoint-independent', random).verdict).toBe('punchable');
    expect(assessOutlook('symmetric', 'address-and-port-dependent', random).verdict).toBe('hard');
    expect(assessOutlook('blocked', 'unknown', random).verdict).toBe('relay-only');
  });
});

describe('carrier-grade NAT hints', () => {
  it('flags 100.64.0.0/10 and several external IPs, and nothing else', () => {
    expect(detectCarrierGradeNat({ localAddress: e('100.64.1.2', 1), mappedAddress: e('203.0.113.10', 1), externalAddresses: ['203.0.113.10'] }).suspected).toBe(true);
    expect(detectCarrierGradeNat({ localAddress: e('192.168.1.2', 1), mappedAddress: e('203.0.113.10', 1), externalAddresses: ['203.0.113.10', '203.0.113.11'] }).reasons).toHaveLength(1);
    expect(detectCarrierGradeNat({ localAddress: e('192.168.1.2', 1), mappedAddress: e('203.0.113.10', 1), externalAddresses: ['203.0.113.10'] }).suspected).toBe(false);
    expect(detectCarrierGradeNat({ localAddress: e('100.128.0.1', 1), mappedAddress: null, externalAddresses: [] }).suspected).toBe(false);
  });
});
