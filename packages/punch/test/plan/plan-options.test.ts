import { describe, expect, it } from 'vitest';
import { planPunch, type NatProfile, type PeerDescription } from '../../src/index.js';

const eimApdf: NatProfile = { family: 4, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: 'preserving', delta: null, hairpinning: null };
const seq256: NatProfile = { family: 4, mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', allocation: 'sequential', delta: 256, hairpinning: null };
const unknown: NatProfile = { family: 4, mapping: 'unknown', filtering: 'unknown', allocation: 'unknown', delta: null, hairpinning: null };

function side(profile: NatProfile, address: string, port: number, allocationsSinceSrflx?: number): PeerDescription {
  return {
    profiles: [profile],
    candidates: [{ type: 'srflx', address, port, family: 4, verified: true }],
    ...(allocationsSinceSrflx === undefined ? {} : { allocationsSinceSrflx }),
  };
}

describe('planPunch options', () => {
  it('shifts the predictions by the allocations the peer made since its srflx was measured', () => {
    const me = side(seq256, '198.51.100.1', 10000);
    const plain = planPunch(me, side(seq256, '198.51.100.2', 20000));
    const shifted = planPunch(me, side(seq256, '198.51.100.2', 20000, 1));
    expect(plain.strategy).toBe('port-prediction');
    expect(plain.send.targets[0]).toEqual({ address: '198.51.100.2', port: 20256 });
    expect(shifted.send.targets[0]).toEqual({ address: '198.51.100.2', port: 20512 });
    expect(shifted.send.targets).toHaveLength(plain.send.targets.length);
  });

  it('ignores an offset that is not a small whole number', () => {
    const me = side(eimApdf, '198.51.100.1', 10000);
    const plan = planPunch(me, side(seq256, '198.51.100.2', 20000, -3));
    expect(plan.send.targets[0]).toEqual({ address: '198.51.100.2', port: 20256 });
  });

  it("an unknown profile: the relay by default, a simultaneous open to the peer's srflx with whenUnknown", () => {
    const me = side(eimApdf, '198.51.100.1', 10000);
    const peer = side(unknown, '198.51.100.2', 20000);
    expect(planPunch(me, peer).strategy).toBe('relay');
    const tried = planPunch(me, peer, { whenUnknown: 'simultaneous-open' });
    expect(tried).toMatchObject({ strategy: 'simultaneous-open', allowedAddresses: ['198.51.100.2'] });
    expect(tried.reason).toMatch(/unknown/);
    expect(tried.send.targets).toEqual([{ address: '198.51.100.2', port: 20000 }]);
    expect(planPunch(side(unknown, '198.51.100.1', 1), side(unknown, '198.51.100.2', 2), { whenUnknown: 'simultaneous-open' }).strategy).toBe('simultaneous-open');
  });
});
