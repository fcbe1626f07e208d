import { cidr, type Cidr } from './cidr.js';

/** A range the relay refuses by default, with the reason given when it does. */
export interface SpecialRange {
  readonly range: Cidr;
  readonly reason: string;
}

const r = (text: string, reason: string): SpecialRange => ({ range: cidr(text), reason });

/**
 * Cloud metadata services: refused even when an --allow-peer range covers them (coturn's
 * `good_peer_addr` does the same). AWS/GCP/Azure/OpenStack 169.254.169.254, AWS IPv6
 * fd00:ec2::254, Azure wireserver 168.63.129.16, Alibaba 100.100.100.200, Oracle 192.0.0.192.
 */
export const METADATA_RANGES: readonly SpecialRange[] = [
  r('169.254.169.254/32', 'cloud-metadata'),
  r('fd00:ec2::254/128', 'cloud-metadata'),
  r('168.63.129.16/32', 'cloud-metadata'),
  r('100.100.100.200/32', 'cloud-metadata'),
  r('192.0.0.192/32', 'cloud-metadata'),
];

/**
 * Ranges denied unless an --allow-peer range opens them. IANA special-purpose registries
 * (RFC 6890) as relevant to a relay; the forms that embed IPv4 (mapped, compatible, NAT64,
 * 6to4, Teredo) are also checked through their embedded address (see peer-filter.ts).
 */
export const DEFAULT_DENIED_RANGES: readonly SpecialRange[] = [
  r('0.0.0.0/8', 'this-network'), // RFC 791, unspecified; CVE-2020-26262
  r('10.0.0.0/8', 'private'), // RFC 1918
  r('100.64.0.0/10', 'shared-cgnat'), // RFC 6598
  r('127.0.0.0/8', 'loopback'), // RFC 1122
  r('169.254.0.0/16', 'link-local'), // RFC 3927
  r('172.16.0.0/12', 'private'), // RFC 1918
  r('192.0.0.0/24', 'ietf-protocol'), // RFC 6890
  r('192.168.0.0/16', 'private'), // RFC 1918
  r('198.18.0.0/15', 'benchmarking'), // RFC 2544
  r('224.0.0.0/4', 'multicast'), // RFC 5771
  r('240.0.0.0/4', 'reserved'), // RFC 1112, includes 255.255.255.255 (broadcast)
  r('::/128', 'unspecified'), // RFC 4291
  r('::1/128', 'loopback'), // RFC 4291
  r('::/96', 'ipv4-compatible'), // RFC 4291 §2.5.5.1 (deprecated)
  r('64:ff9b:1::/48', 'nat64-local'), // RFC 8215
  r('100::/64', 'discard'), // RFC 6666
  r('2001::/32', 'teredo'), // RFC 4380; RFC 8656 §21 (ex RFC 6156 §9.1)
  r('2002::/16', '6to4'), // RFC 3056; RFC 8656 §21
  r('fc00::/7', 'unique-local'), // RFC 4193
  r('fe80::/10', 'link-local'), // RFC 4291
  r('fec0::/10', 'site-local'), // RFC 3879
  r('ff00::/8', 'multicast'), // RFC 4291
];
