/**
 * Issue 7: "nothing is ever sent to an address that the rendezvous did not bind to that peer",
 * with a second address family: an IPv6 candidate counts only when the rendezvous verified that
 * IP for the peer (an address token came back from it), and only when we have an IPv6 socket.
 */
import { describe, expect, it } from 'vitest';
import type { Candidate, NatProfile } from '@natkit/rendezvous';
import { directTargets } from '../../src/connection/candidates.js';
import { describeSide } from '../../src/connection/punch-path-finder.js';

const observed = { address: '203.0.113.20', port: 40000 };
const us = { address: '203.0.113.10', port: 40001 };
const candidates: Candidate[] = [
  { type: 'host', address: '100.64.2.2', port: 5000 },
  { type: 'srflx', address: '203.0.113.20', port: 5000 },
  { type: 'host', address: '2001:db8:2::2', port: 6000 },
  { type: 'srflx', address: '2001:db8:2::2', port: 6000 },
  { type: 'srflx', address: '2001:db8:66::6', port: 6000 },
];
const profile = { udp: true, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: { pattern: 'preserving', step: null }, hairpinning: null, mappingLifetimeSeconds: null } as const;
const nat: NatProfile = { ipv4: profile, ipv6: profile };

describe('direct targets and planner candidates with a verified second family', () => {
  it('without a verified IPv6 address, no IPv6 candidate is a target', () => {
    expect(directTargets({ observed, candidates }, us)).toEqual([{ address: '203.0.113.20', port: 5000 }]);
    expect(describeSide({ observed, nat, candidates }, us, 0).candidates.filter((c) => c.family === 6)).toEqual([]);
  });

  it('a verified IPv6 address makes the candidates at that IP targets, and no other IPv6 one', () => {
    const peer = { observed, candidates, verified: [{ address: '2001:db8:2::2', port: 6000 }] };
    expect(directTargets(peer, us)).toEqual([
      { address: '203.0.113.20', port: 5000 },
      { address: '2001:db8:2::2', port: 6000 },
    ]);
    const six = describeSide({ ...peer, nat }, us, 0).candidates.filter((c) => c.family === 6);
    expect(six).toEqual([
      { type: 'host', address: '2001:db8:2::2', port: 6000, family: 6, verified: true },
      { type: 'srflx', address: '2001:db8:2::2', port: 6000, family: 6, verified: true },
    ]);
  });

  it('an IPv4-only peer (no IPv6 socket) never targets an IPv6 address, verified or not', () => {
    const peer = { observed, candidates, verified: [{ address: '2001:db8:2::2', port: 6000 }] };
    expect(directTargets(peer, us, [4])).toEqual([{ address: '203.0.113.20', port: 5000 }]);
  });
});
