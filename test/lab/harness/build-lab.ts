/** Turns a LabPlan into namespaces, veths, routes and nftables rules. */
import { ip6Ruleset } from './ipv6-rules.js';
import { hostLossRuleset, natRuleset } from './nat-rules.js';
import { blackHole6, blackHoleGateway, serverAddresses, serverAddresses6, type HostPlan, type RouterPlan, type SitePlan } from './topology.js';

/** Runs one command in the root namespace and throws (with stderr) unless it exits 0. */
export type MustRun = (argv: readonly string[], input?: string) => Promise<void>;

export interface BuildTools {
  ip: string;
  nft: string;
  sysctl: string;
  run: MustRun;
}

/**
 * IPv6 sysctls for one namespace, before its links exist: no duplicate address detection (an
 * address is usable at once instead of after a second of 'tentative'), and routers forward.
 */
export async function prepareIpv6(tools: BuildTools, ns: string, options: { forwarding: boolean }): Promise<void> {
  await tools.run([
    tools.ip, 'netns', 'exec', ns, tools.sysctl, '-qw',
    'net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.default.disable_ipv6=0',
    'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0',
    'net.ipv6.conf.all.accept_ra=0', 'net.ipv6.conf.default.accept_ra=0',
    `net.ipv6.conf.all.forwarding=${options.forwarding ? 1 : 0}`,
  ]);
}

/** `ip -6 addr add ... nodad`: usable at once (the sysctls cover link-local addresses). */
async function address6(tools: BuildTools, ns: string, ifname: string, cidr: string): Promise<void> {
  await tools.run([tools.ip, '-n', ns, '-6', 'addr', 'add', cidr, 'dev', ifname, 'nodad']);
}

/**
 * The "internet": br0 with both server addresses, and a black-hole default route kept inside.
 * With `ipv6`: also 2001:db8::1 and ::2 on br0 and an IPv6 black hole the same way.
 */
export async function buildInet(tools: BuildTools, ns: string, ipv6 = false): Promise<void> {
  const ip = (...args: string[]) => tools.run([tools.ip, '-n', ns, ...args]);
  await ip('link', 'set', 'lo', 'up');
  await ip('link', 'add', 'br0', 'type', 'bridge');
  await ip('link', 'set', 'br0', 'up');
  for (const address of serverAddresses) await ip('addr', 'add', `${address}/24`, 'dev', 'br0');
  // Packets to addresses that do not exist in the lab leave through bh0 into bh1, which has no
  // address: dropped silently, as on the internet, instead of sendto() failing with ENETUNREACH.
  await ip('link', 'add', 'bh0', 'type', 'veth', 'peer', 'name', 'bh1');
  await ip('addr', 'add', '198.51.100.1/24', 'dev', 'bh0');
  await ip('link', 'set', 'bh0', 'up');
  await ip('link', 'set', 'bh1', 'up');
  await ip('neigh', 'add', blackHoleGateway, 'lladdr', '02:00:5e:00:53:02', 'dev', 'bh0', 'nud', 'permanent');
  await ip('route', 'add', 'default', 'via', blackHoleGateway, 'dev', 'bh0');
  if (!ipv6) return;
  for (const address of serverAddresses6) await address6(tools, ns, 'br0', `${address}/64`);
  await address6(tools, ns, 'bh0', `${blackHole6.address}/64`);
  await ip('-6', 'neigh', 'add', blackHole6.gateway, 'lladdr', '02:00:5e:00:53:02', 'dev', 'bh0', 'nud', 'permanent');
  await ip('-6', 'route', 'add', 'default', 'via', blackHole6.gateway, 'dev', 'bh0');
}

/** Creates a veth whose end `ifname` lives in `ns` and whose peer `peerName` lives in `peerNs`. */
async function link(tools: BuildTools, ns: string, ifname: string, peerNs: string, peerName: string): Promise<void> {
  await tools.run([tools.ip, '-n', ns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', peerName, 'netns', peerNs]);
}

async function address(tools: BuildTools, ns: string, ifname: string, cidr: string): Promise<void> {
  await tools.run([tools.ip, '-n', ns, 'addr', 'add', cidr, 'dev', ifname]);
  await tools.run([tools.ip, '-n', ns, 'link', 'set', ifname, 'up']);
}

async function nft(tools: BuildTools, ns: string, ruleset: string): Promise<void> {
  await tools.run([tools.ip, 'netns', 'exec', ns, tools.nft, '-f', '-'], ruleset);
}

async function configureRouter(tools: BuildTools, router: RouterPlan): Promise<void> {
  await address(tools, router.ns, router.wanIf, `${router.wanAddress}/${router.wanPrefixLength}`);
  await address(tools, router.ns, router.lanIf, `${router.lanAddress}/24`);
  await tools.run([tools.ip, '-n', router.ns, 'route', 'add', 'default', 'via', router.gateway]);
  await tools.run([
    tools.ip, 'netns', 'exec', router.ns, tools.sysctl, '-qw',
    'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0',
  ]);
  await nft(tools, router.ns, natRuleset(router));
  const six = router.ipv6;
  if (six === undefined) return;
  await address6(tools, router.ns, router.wanIf, `${six.wanAddress}/64`);
  await address6(tools, router.ns, router.lanIf, `${six.lanAddress}/64`);
  await tools.run([tools.ip, '-n', router.ns, '-6', 'route', 'add', 'default', 'via', six.gateway, 'dev', router.wanIf]);
  await nft(tools, router.ns, ip6Ruleset({ mode: six.mode, wanIf: router.wanIf, lanIf: router.lanIf, blockUdp: router.blockUdp }));
}

async function configureHost(tools: BuildTools, host: HostPlan): Promise<void> {
  await address(tools, host.ns, host.iface, `${host.address}/${host.prefixLength}`);
  await tools.run([tools.ip, '-n', host.ns, 'route', 'add', 'default', 'via', host.gateway]);
  if (host.lossPercent > 0) await nft(tools, host.ns, hostLossRuleset(host.lossPercent));
  if (host.ipv6 === undefined) return;
  await address6(tools, host.ns, host.iface, `${host.ipv6.address}/64`);
  await tools.run([tools.ip, '-n', host.ns, '-6', 'route', 'add', 'default', 'via', host.ipv6.gateway, 'dev', host.iface]);
}

/**
 * Several hosts behind one NAT: the router's LAN interface is a bridge (named as the single-host
 * veth, so the NAT rules are the same) with one veth per host. Hosts reach each other on the
 * bridge without passing the NAT, as on a home LAN.
 */
async function buildSharedLan(tools: BuildTools, router: RouterPlan, hosts: readonly HostPlan[]): Promise<void> {
  await tools.run([tools.ip, '-n', router.ns, 'link', 'add', router.lanIf, 'type', 'bridge']);
  for (const [i, host] of hosts.entries()) {
    const port = `${router.lanIf}p${i + 1}`;
    await link(tools, host.ns, host.iface, router.ns, port);
    await tools.run([tools.ip, '-n', router.ns, 'link', 'set', port, 'master', router.lanIf]);
    await tools.run([tools.ip, '-n', router.ns, 'link', 'set', port, 'up']);
  }
}

/** One site: its uplink on br0, the NAT chain (if any) and the host behind it. */
export async function buildSite(tools: BuildTools, inetNs: string, site: SitePlan): Promise<void> {
  await link(tools, site.uplink.ns, site.uplink.ifname, inetNs, site.uplink.bridgePort);
  await tools.run([tools.ip, '-n', inetNs, 'link', 'set', site.uplink.bridgePort, 'master', 'br0']);
  await tools.run([tools.ip, '-n', inetNs, 'link', 'set', site.uplink.bridgePort, 'up']);
  if (site.cgn && site.nat) await link(tools, site.nat.ns, site.nat.wanIf, site.cgn.ns, site.cgn.lanIf);
  if (site.nat && site.extraHosts.length > 0) await buildSharedLan(tools, site.nat, [site.host, ...site.extraHosts]);
  else if (site.nat) await link(tools, site.host.ns, site.host.iface, site.nat.ns, site.nat.lanIf);
  if (site.cgn) await configureRouter(tools, site.cgn);
  if (site.nat) await configureRouter(tools, site.nat);
  await configureHost(tools, site.host);
  for (const host of site.extraHosts) await configureHost(tools, host);
  // A routed IPv6 LAN is reached through its router's WAN address; a NAT66 LAN is not routed
  // (traffic to it falls into the black hole, as on the internet).
  const six = site.nat?.ipv6;
  if (six !== undefined && six.mode !== 'nat66') {
    await tools.run([tools.ip, '-n', inetNs, '-6', 'route', 'add', six.lanCidr, 'via', six.wanAddress, 'dev', 'br0']);
  }
}
