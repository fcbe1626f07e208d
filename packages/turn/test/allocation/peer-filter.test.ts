import { describe, expect, it } from 'vitest';
import { parseCidr, type Cidr } from '../../src/allocation/cidr.js';
import { PeerFilter } from '../../src/allocation/peer-filter.js';

const c = (t: string): Cidr => parseCidr(t)!;

/** Every address form of relay.md §3 #1, with the reason the default filter gives. */
export const DENIED_BY_DEFAULT: readonly (readonly [string, string])[] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['0.0.0.0', 'this-network'],
  ['0.1.2.3', 'this-network'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:0.0.0.0', 'this-network'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:169.254.169.254', 'cloud-metadata'],
  ['::127.0.0.1', 'ipv4-compatible'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::a00:1', 'private'],
  ['64:ff9b:1::1', 'nat64-local'],
  ['2002:7f00:1::1', '6to4'],
  ['2001:0::', 'teredo'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'teredo'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'shared-cgnat'],
  ['100.127.255.255', 'shared-cgnat'],
  ['169.254.1.1', 'link-local'],
  ['169.254.169.254', 'cloud-metadata'],
  ['168.63.129.16', 'cloud-metadata'],
  ['100.100.100.200', 'cloud-metadata'],
  ['fd00:ec2::254', 'cloud-metadata'],
  ['fe80::1', 'link-local'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456::1', 'unique-local'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['fec0::1', 'site-local'],
  ['not-an-ip', 'not-ip'],
];

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
