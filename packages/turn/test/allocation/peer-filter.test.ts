import { describe, expect, it } from 'vitest';
import { parseCidr, type Cidr } from '../../src/allocation/cidr.js';
import { PeerFilter } from '../../src/allocation/peer-filter.js';
import { DENIED_BY_DEFAULT } from './address-forms.js';

const c = (t: string): Cidr => parseCidr(t)!;


const ALLOWED_BY_DEFAULT = ['192.0.2.10', '198.51.100.7', '8.8.8.8', '2001:db8::1', '2606:4700::1111', '64:ff9b::808:808', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1'];

describe('PeerFilter (default deny)', () => {
  it.each(DENIED_BY_DEFAULT)('denies %s (%s)', (address, reason) => {
    expect(new PeerFilter().check(address)).toEqual({ allowed: false, reason });
  });

  it.each(ALLOWED_BY_DEFAULT)('allows public %s', (address) => {
    expect(new PeerFilter().check(address)).toEqual({ allowed: true });
  });

  it("denies the server's own addresses, every port", () => {
    const f = new PeerFilter({ ownAddresses: ['203.0.113.5', '2001:db8::5'] });
    expect(f.check('203.0.113.5')).toEqual({ allowed: false, reason: 'server-address' });
    expect(f.check('::ffff:203.0.113.5')).toEqual({ allowed: false, reason: 'server-address' });
    expect(f.check('2001:db8::5')).toEqual({ allowed: false, reason: 'server-address' });
    expect(f.check('203.0.113.6')).toEqual({ allowed: true });
  });
});

describe('PeerFilter: relay to relay (its own relayed transport addresses)', () => {
  // The server holds relay sockets on 203.0.113.5:50002 and [2001:db8::5]:50004; it listens on 3478.
  const held = new Set(['203.0.113.5|50002', '2001:db8::5|50004', '203.0.113.5|3478']);
  const f = new PeerFilter({ ownAddresses: ['203.0.113.5', '2001:db8::5', '127.0.0.1'], isOwnRelayedAddress: (a, p) => held.has(`${a}|${p}`) }).withOwnAddresses([], [3478]);

  it('allows a relayed address it holds, exactly as written', () => {
    expect(f.check('203.0.113.5', 50002)).toEqual({ allowed: true });
    expect(f.check('2001:db8::5', 50004)).toEqual({ allowed: true });
  });

  it('refuses its own address on a port it holds no relay socket on, on its listening port, and with no port', () => {
    expect(f.check('203.0.113.5', 50003)).toEqual({ allowed: false, reason: 'server-address' });
    expect(f.check('203.0.113.5', 40000)).toEqual({ allowed: false, reason: 'server-address' });
    expect(f.check('203.0.113.5', 3478)).toEqual({ allowed: false, reason: 'server-address' }); // a listener, even if reported held
    expect(f.check('203.0.113.5')).toEqual({ allowed: false, reason: 'server-address' });
  });

  it('refuses the other forms of a relayed address (mapped, NAT64, 6to4) and keeps every other rule', () => {
    expect(f.check('::ffff:203.0.113.5', 50002)).toEqual({ allowed: false, reason: 'server-address' });
    expect(f.check('64:ff9b::cb00:7105', 50002)).toEqual({ allowed: false, reason: 'server-address' });
    expect(f.check('2002:cb00:7105::1', 50002).allowed).toBe(false);
    const loop = new PeerFilter({ ownAddresses: ['127.0.0.1'], isOwnRelayedAddress: () => true });
    expect(loop.check('127.0.0.1', 50002)).toEqual({ allowed: false, reason: 'loopback' });
    const denied = new PeerFilter({ ownAddresses: ['203.0.113.5'], deny: [c('203.0.113.0/24')], isOwnRelayedAddress: () => true });
    expect(denied.check('203.0.113.5', 50002)).toEqual({ allowed: false, reason: 'deny-peer' });
  });
});

describe('PeerFilter with --allow-peer / --deny-peer', () => {
  it('--allow-peer 127.0.0.0/8 opens loopback in every form that sends there, never metadata', () => {
    const f = new PeerFilter({ allow: [c('127.0.0.0/8'), c('169.254.0.0/16')] });
    expect(f.check('127.0.0.1').allowed).toBe(true);
    expect(f.check('::ffff:127.0.0.1').allowed).toBe(true);
    expect(f.check('64:ff9b::7f00:1').allowed).toBe(true);
    expect(f.check('::1').allowed).toBe(false);
    expect(f.check('2002:7f00:1::1').allowed).toBe(false); // 6to4 itself stays closed
    expect(f.check('169.254.1.1').allowed).toBe(true);
    expect(f.check('169.254.169.254')).toEqual({ allowed: false, reason: 'cloud-metadata' });
  });

  it("never opens the server's listening ports on its own addresses (UDP, TCP, TLS, a sibling worker's), in any form", () => {
    const f = new PeerFilter({ allow: [c('127.0.0.0/8'), c('203.0.113.0/24')], ownAddresses: ['127.0.0.1', '203.0.113.5'] }).withOwnAddresses([], [3478, 5349, 3480]);
    for (const port of [3478, 5349, 3480]) {
      expect(f.check('127.0.0.1', port), `127.0.0.1:${port}`).toEqual({ allowed: false, reason: 'server-address' });
      expect(f.check('::ffff:127.0.0.1', port), `mapped :${port}`).toEqual({ allowed: false, reason: 'server-address' });
      expect(f.check('203.0.113.5', port), `203.0.113.5:${port}`).toEqual({ allowed: false, reason: 'server-address' });
      expect(f.check('127.0.0.2', port), `another loopback address :${port}`).toEqual({ allowed: true });
    }
    expect(f.check('127.0.0.1', 40000)).toEqual({ allowed: true }); // another port of an opened own address
    expect(f.listensOn(5349)).toBe(true);
    expect(f.listensOn(40000)).toBe(false);
  });

  it('--allow-peer ::1/128 opens IPv6 loopback (:: and ::1 are not IPv4-compatible forms)', () => {
    const f = new PeerFilter({ allow: [c('::1/128')] });
    expect(f.check('::1').allowed).toBe(true);
    expect(f.check('::').allowed).toBe(false);
    expect(f.check('127.0.0.1').allowed).toBe(false);
  });

  it('--deny-peer closes a range in any form and wins over --allow-peer', () => {
    const f = new PeerFilter({ allow: [c('127.0.0.0/8')], deny: [c('8.8.8.0/24'), c('127.0.0.2/32')] });
    expect(f.check('8.8.8.8')).toEqual({ allowed: false, reason: 'deny-peer' });
    expect(f.check('::ffff:8.8.8.8')).toEqual({ allowed: false, reason: 'deny-peer' });
    expect(f.check('64:ff9b::808:808')).toEqual({ allowed: false, reason: 'deny-peer' });
    expect(f.check('127.0.0.2')).toEqual({ allowed: false, reason: 'deny-peer' });
    expect(f.check('127.0.0.1').allowed).toBe(true);
  });

  it('parses CIDRs strictly', () => {
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0/8')).toBeUndefined();
    expect(parseCidr('::1/129')).toBeUndefined();
    expect(parseCidr('2001:db8::/32')?.prefix).toBe(32);
    expect(parseCidr('1.2.3.4')?.prefix).toBe(32);
  });
});
