/**
 * Address plan for a lab (pure) - which namespaces exist, which addresses they hold - following
 * the lab topology (test/lab/README.md). Only 203.0.113.0/24, 198.51.100.0/24,
 * 100.64.0.0/10 and (for sites that opt into IPv6) 2001:db8::/32 are ever used, and only inside
 * namespaces the lab creates.
 */
import { type NatBehavior, pickNatRandomness } from './nat-rules.js';

export type SiteTopology = 'nat' | 'no-nat' | 'udp-blocked' | 'double-nat';

/**
 * IPv6 at a site (only for the 'nat' and 'udp-blocked' topologies; default 'none'):
 * - 'none': IPv4 only;
 * - 'firewall': no NAT66, as most IPv6 home routers: a routed, globally addressed LAN behind a
 *   stateful filter (conntrack: address-and-port-dependent filtering);
 * - 'firewall-eif': the same, but once the host has sent from a UDP port, inbound UDP to that
 *   port is let in from anyone (endpoint-independent filtering, RFC 6092 REC-11's other option);
 * - 'nat66': the LAN is translated to the WAN address with `masquerade` (EIM, APDF, ports
 *   preserved: the IPv4 port-restricted cone), behind the same filter.
 */
export type SiteIpv6 = 'none' | 'firewall' | 'firewall-eif' | 'nat66';
export const siteIpv6Modes: readonly SiteIpv6[] = ['none', 'firewall', 'firewall-eif', 'nat66'];

export interface SiteOptions {
  /** Default 'nat'. 'udp-blocked' is a port-restricted NAT that drops all forwarded UDP. */
  topology?: SiteTopology;
  /** Behaviour of the NAT next to the host (the home NAT in 'double-nat'). Default port-restricted. */
  behavior?: NatBehavior;
  /** Behaviour of the carrier-grade NAT in 'double-nat'. Default port-restricted-cone. */
  outerBehavior?: NatBehavior;
  /** Hairpinning on the NAT next to the host. Default false (plain Linux masquerade does not). */
  hairpin?: boolean;
  /** Integer percentage of UDP packets dropped in each direction at the NAT next to the host (IPv4 only). */
  lossPercent?: number;
  /** IPv6 next to IPv4 (dual stack). Default 'none'. See SiteIpv6. */
  ipv6?: SiteIpv6;
  /**
   * Hosts on the LAN behind the NAT (default 1; at most maxHostsPerSite). With more than one, the
   * LAN is a bridge in the NAT namespace; host n (1-based) is 100.64.(i+1).(n+1). Only for the
   * 'nat' and 'udp-blocked' topologies without IPv6, and not with the full-cone or restricted-cone
   * emulations, whose rules forward unsolicited traffic to the first host only.
   */
  hosts?: number;
}

export const serverAddresses = ['203.0.113.1', '203.0.113.2'] as const;
/** Gateway of the internet namespace's black-hole default route (never answers). */
export const blackHoleGateway = '198.51.100.2';
/** The IPv6 server addresses on br0 (only when a site asks for IPv6). */
export const serverAddresses6 = ['2001:db8::1', '2001:db8::2'] as const;
/** The IPv6 black hole: bh0's address and the gateway that never answers. */
export const blackHole6 = { address: '2001:db8:ffff::1', gateway: '2001:db8:ffff::2' } as const;

/** A router's IPv6 side (absent when its site has no IPv6). */
export interface RouterPlan6 {
  mode: Exclude<SiteIpv6, 'none'>;
  /** On the internet bridge, 2001:db8::/64. */
  wanAddress: string;
  gateway: string;
  lanAddress: string;
  /** The LAN prefix, e.g. 2001:db8:1::/64 (routed) or 2001:db8:100:1::/64 (behind NAT66). */
  lanCidr: string;
  /** The host's address on the LAN. */
  insideAddress: string;
}

export interface HostPlan6 {
  address: string;
  gateway: string;
}

export interface RouterPlan {
  ns: string;
  wanIf: 'wan0';
  lanIf: 'lan0';
  wanAddress: string;
  wanPrefixLength: number;
  /** Next hop towards the internet. */
  gateway: string;
  lanAddress: string;
  lanCidr: string;
  /** The single downstream address the cone emulations forward to. */
  insideAddress: string;
  behavior: NatBehavior;
  hairpin: boolean;
  lossPercent: number;
  blockUdp: boolean;
  portOffset: number;
  hashSeed: number;
  /** The IPv6 side, when the site has IPv6. */
  ipv6?: RouterPlan6;
}

export interface HostPlan {
  ns: string;
  iface: 'eth0';
  address: string;
  prefixLength: number;
  gateway: string;
  lossPercent: number;
  ipv6?: HostPlan6;
}

export interface SitePlan {
  key: string;
  index: number;
  topology: SiteTopology;
  host: HostPlan;
  /** The NAT next to the host (absent for 'no-nat'). */
  nat?: RouterPlan;
  /** The carrier-grade NAT in front of `nat` ('double-nat' only). */
  cgn?: RouterPlan;
  /** More hosts on the same LAN as `host` (SiteOptions.hosts - 1 of them; usually none). */
  extraHosts: HostPlan[];
  /** The namespace and interface whose veth peer sits on the internet bridge. */
  uplink: { ns: string; ifname: string; bridgePort: string };
  /** Address the servers see for this site's traffic. */
  publicAddress: string;
  ipv6: SiteIpv6;
  /** Address IPv6 servers see for this site's traffic (null without IPv6). */
  publicAddress6: string | null;
}

export interface LabPlan {
  prefix: string;
  inetNs: string;
  sites: SitePlan[];
  /** Every namespace of the plan, inet first. */
  namespaces: string[];
  /** Some site asked for IPv6: the internet namespace gets its IPv6 addresses and routes. */
  ipv6: boolean;
}

const siteKeyPattern = /^[A-Za-z][A-Za-z0-9]{0,3}$/;
export const maxSites = 24;
export const maxHostsPerSite = 8;

/** Hosts 2..n of a site: `<prefix>-h<key>-<n>` (the dash keeps them apart from other sites' hosts). */
function planExtraHosts(prefix: string, key: string, lanOctet: number, options: SiteOptions, topology: SiteTopology): HostPlan[] {
  const count = options.hosts ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > maxHostsPerSite) throw new Error(`lab: site ${key}: hosts must be an integer 1..${maxHostsPerSite}`);
  if (count === 1) return [];
  if (topology !== 'nat' && topology !== 'udp-blocked') throw new Error(`lab: site ${key}: hosts ${count} needs topology 'nat' or 'udp-blocked', not '${topology}'`);
  if ((options.ipv6 ?? 'none') !== 'none') throw new Error(`lab: site ${key}: hosts ${count} is IPv4 only`);
  if (options.behavior === 'full-cone' || options.behavior === 'restricted-cone') {
    throw new Error(`lab: site ${key}: the ${options.behavior} emulation forwards to one host; hosts ${count} needs another behavior`);
  }
  return Array.from({ length: count - 1 }, (_, i) => ({
    ns: `${prefix}-h${key}-${i + 2}`,
    iface: 'eth0' as const,
    address: `100.64.${lanOctet}.${i + 3}`,
    prefixLength: 24,
    gateway: `100.64.${lanOctet}.1`,
    lossPercent: 0,
  }));
}

export function planLab(prefix: string, sites: Record<string, SiteOptions>, random: () => number = Math.random): LabPlan {
  const entries = Object.entries(sites);
  if (entries.length === 0) throw new Error('lab: at least one site is needed');
  if (entries.length > maxSites) throw new Error(`lab: at most ${maxSites} sites`);
  const inetNs = `${prefix}-inet`;
  const planned = entries.map(([key, options], index) => planSite(prefix, key, index, options, random));
  const namespaces = [inetNs];
  for (const site of planned) {
    if (site.cgn) namespaces.push(site.cgn.ns);
    if (site.nat) namespaces.push(site.nat.ns);
    namespaces.push(site.host.ns, ...site.extraHosts.map((host) => host.ns));
  }
  return { prefix, inetNs, sites: planned, namespaces, ipv6: planned.some((site) => site.ipv6 !== 'none') };
}

/**
 * Site i's IPv6 addresses. The numbers mirror the IPv4 plan's decimal ones written as hex text
 * (WAN 203.0.113.20 -> 2001:db8::20, LAN 100.64.2.0/24 -> 2001:db8:2::/64).
 */
function ipv6Plan(index: number, mode: Exclude<SiteIpv6, 'none'>): { router: RouterPlan6; host: HostPlan6 } {
  const lan = mode === 'nat66' ? `2001:db8:100:${index + 1}` : `2001:db8:${index + 1}`;
  const router: RouterPlan6 = {
    mode,
    wanAddress: `2001:db8::${10 * (index + 1)}`,
    gateway: serverAddresses6[0],
    lanAddress: `${lan}::1`,
    lanCidr: `${lan}::/64`,
    insideAddress: `${lan}::2`,
  };
  return { router, host: { address: router.insideAddress, gateway: router.lanAddress } };
}

function planSite(prefix: string, key: string, index: number, options: SiteOptions, random: () => number): SitePlan {
  if (!siteKeyPattern.test(key)) throw new Error(`lab: site key '${key}' must match ${String(siteKeyPattern)}`);
  const topology = options.topology ?? 'nat';
  const lossPercent = options.lossPercent ?? 0;
  const publicAddress = `203.0.113.${10 * (index + 1)}`;
  const hostNs = `${prefix}-h${key}`;
  const bridgePort = `p${key}`;
  const lanOctet = index + 1;
  const ipv6 = options.ipv6 ?? 'none';
  if (!siteIpv6Modes.includes(ipv6)) throw new Error(`lab: site ${key}: ipv6 must be one of ${siteIpv6Modes.join(', ')}`);
  if (ipv6 !== 'none' && topology !== 'nat' && topology !== 'udp-blocked') {
    throw new Error(`lab: site ${key}: ipv6 '${ipv6}' needs topology 'nat' or 'udp-blocked', not '${topology}'`);
  }
  const extraHosts = planExtraHosts(prefix, key, lanOctet, options, topology);
  if (topology === 'no-nat') {
    const host: HostPlan = { ns: hostNs, iface: 'eth0', address: publicAddress, prefixLength: 24, gateway: serverAddresses[0], lossPercent };
    return { key, index, topology, host, extraHosts, uplink: { ns: hostNs, ifname: 'eth0', bridgePort }, publicAddress, ipv6, publicAddress6: null };
  }
  const host: HostPlan = { ns: hostNs, iface: 'eth0', address: `100.64.${lanOctet}.2`, prefixLength: 24, gateway: `100.64.${lanOctet}.1`, lossPercent: 0 };
  const router = (ns: string, wan: { address: string; prefixLength: number; gateway: string }, lanBase: string, behavior: NatBehavior) => ({
    ns,
    wanIf: 'wan0' as const,
    lanIf: 'lan0' as const,
    wanAddress: wan.address,
    wanPrefixLength: wan.prefixLength,
    gateway: wan.gateway,
    lanAddress: `${lanBase}.1`,
    lanCidr: `${lanBase}.0/24`,
    insideAddress: `${lanBase}.2`,
    behavior,
    hairpin: false,
    lossPercent: 0,
    blockUdp: false,
    ...pickNatRandomness(random),
  });
  const internet = { address: publicAddress, prefixLength: 24, gateway: serverAddresses[0] };
  const homeBehavior = options.behavior ?? 'port-restricted-cone';
  if (topology === 'double-nat') {
    const cgnLan = `100.64.${100 + index}`;
    const cgn = router(`${prefix}-cgn${key}`, internet, cgnLan, options.outerBehavior ?? 'port-restricted-cone');
    const nat = { ...router(`${prefix}-nat${key}`, { address: `${cgnLan}.2`, prefixLength: 24, gateway: `${cgnLan}.1` }, `100.64.${lanOctet}`, homeBehavior), hairpin: options.hairpin ?? false, lossPercent };
    return { key, index, topology, host, extraHosts, nat, cgn, uplink: { ns: cgn.ns, ifname: 'wan0', bridgePort }, publicAddress, ipv6, publicAddress6: null };
  }
  const nat = {
    ...router(`${prefix}-nat${key}`, internet, `100.64.${lanOctet}`, homeBehavior),
    hairpin: options.hairpin ?? false,
    lossPercent,
    blockUdp: topology === 'udp-blocked',
  };
  if (ipv6 === 'none') {
    return { key, index, topology, host, extraHosts, nat, uplink: { ns: nat.ns, ifname: 'wan0', bridgePort }, publicAddress, ipv6, publicAddress6: null };
  }
  const six = ipv6Plan(index, ipv6);
  return {
    key,
    index,
    topology,
    host: { ...host, ipv6: six.host },
    extraHosts,
    nat: { ...nat, ipv6: six.router },
    uplink: { ns: nat.ns, ifname: 'wan0', bridgePort },
    publicAddress,
    ipv6,
    publicAddress6: ipv6 === 'nat66' ? six.router.wanAddress : six.host.address,
  };
}
