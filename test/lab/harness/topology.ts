/**
 * Address plan for a lab (pure) - which namespaces exist, which addresses they hold - following
 * the topology in /work/shared/docs/nat-lab.md. Only 203.0.113.0/24, 198.51.100.0/24 and
 * 100.64.0.0/10 are ever used, and only inside namespaces the lab creates.
 */
import { type NatBehavior, pickNatRandomness } from './nat-rules.js';

export type SiteTopology = 'nat' | 'no-nat' | 'udp-blocked' | 'double-nat';

export interface SiteOptions {
  /** Default 'nat'. 'udp-blocked' is a port-restricted NAT that drops all forwarded UDP. */
  topology?: SiteTopology;
  /** Behaviour of the NAT next to the host (the home NAT in 'double-nat'). Default port-restricted. */
  behavior?: NatBehavior;
  /** Behaviour of the carrier-grade NAT in 'double-nat'. Default port-restricted-cone. */
  outerBehavior?: NatBehavior;
  /** Hairpinning on the NAT next to the host. Default false (plain Linux masquerade does not). */
  hairpin?: boolean;
  /** Integer percentage of UDP packets dropped in each direction at the NAT next to the host. */
  lossPercent?: number;
}

export const serverAddresses = ['203.0.113.1', '203.0.113.2'] as const;
/** Gateway of the internet namespace's black-hole default route (never answers). */
export const blackHoleGateway = '198.51.100.2';

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
}

export interface HostPlan {
  ns: string;
  iface: 'eth0';
  address: string;
  prefixLength: number;
  gateway: string;
  lossPercent: number;
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
  /** The namespace and interface whose veth peer sits on the internet bridge. */
  uplink: { ns: string; ifname: string; bridgePort: string };
  /** Address the servers see for this site's traffic. */
  publicAddress: string;
}

export interface LabPlan {
  prefix: string;
  inetNs: string;
  sites: SitePlan[];
  /** Every namespace of the plan, inet first. */
  namespaces: string[];
}

const siteKeyPattern = /^[A-Za-z][A-Za-z0-9]{0,3}$/;
export const maxSites = 24;

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
    namespaces.push(site.host.ns);
  }
  return { prefix, inetNs, sites: planned, namespaces };
}

function planSite(prefix: string, key: string, index: number, options: SiteOptions, random: () => number): SitePlan {
  if (!siteKeyPattern.test(key)) throw new Error(`lab: site key '${key}' must match ${String(siteKeyPattern)}`);
  const topology = options.topology ?? 'nat';
  const lossPercent = options.lossPercent ?? 0;
  const publicAddress = `203.0.113.${10 * (index + 1)}`;
  const hostNs = `${prefix}-h${key}`;
  const bridgePort = `p${key}`;
  const lanOctet = index + 1;
  if (topology === 'no-nat') {
    const host: HostPlan = { ns: hostNs, iface: 'eth0', address: publicAddress, prefixLength: 24, gateway: serverAddresses[0], lossPercent };
    return { key, index, topology, host, uplink: { ns: hostNs, ifname: 'eth0', bridgePort }, publicAddress };
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
    return { key, index, topology, host, nat, cgn, uplink: { ns: cgn.ns, ifname: 'wan0', bridgePort }, publicAddress };
  }
  const nat = {
    ...router(`${prefix}-nat${key}`, internet, `100.64.${lanOctet}`, homeBehavior),
    hairpin: options.hairpin ?? false,
    lossPercent,
    blockUdp: topology === 'udp-blocked',
  };
  return { key, index, topology, host, nat, uplink: { ns: nat.ns, ifname: 'wan0', bridgePort }, publicAddress };
}
