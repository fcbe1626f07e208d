/**
 * The real-NAT lab: network namespaces joined by veths, Linux NATs configured with nftables.
 *
 * @example
 * const lab = await createLab({ sites: { A: { behavior: 'full-cone' }, B: { topology: 'no-nat' } } });
 * try {
 *   const result = await lab.exec(lab.hosts.A.ns, ['stun', lab.serverAddresses[0]], { timeoutMs: 10_000 });
 * } finally {
 *   await lab.close();
 * }
 */
import { buildInet, buildSite, prepareIpv6, type BuildTools } from './build-lab.js';
import { checkLabCapability } from './capability.js';
import { LabProcess, runBounded, signalPid, type ExecResult } from './lab-process.js';
import type { NatBehavior } from './nat-rules.js';
import { registerLab, unregisterLab } from './safety-net.js';
import { requireTool } from './tools.js';
import { planLab, serverAddresses, serverAddresses6, type HostPlan, type LabPlan, type RouterPlan, type SiteIpv6, type SitePlan, type SiteOptions, type SiteTopology } from './topology.js';

export interface LabOptions<K extends string> {
  sites: Record<K, SiteOptions>;
  /** Source of the per-build random port offsets and hash seeds (default Math.random). */
  random?: () => number;
}

export interface LabHost {
  site: string;
  ns: string;
  address: string;
  gateway: string;
  topology: SiteTopology;
  /** The address servers see for this host's traffic (its NAT's WAN, or its own address). */
  publicAddress: string;
  /** The site's IPv6 plan ('none': IPv4 only, and the three IPv6 fields below are null). */
  ipv6: SiteIpv6;
  /** The host's IPv6 address: global in a routed LAN ('firewall'), 2001:db8:100:<i+1>::2 behind NAT66. */
  address6: string | null;
  gateway6: string | null;
  /** The IPv6 address servers see: the host's own ('firewall'), or its router's WAN ('nat66'). */
  publicAddress6: string | null;
}

export interface LabNat {
  ns: string;
  wanAddress: string;
  lanAddress: string;
  lanCidr: string;
  behavior: NatBehavior;
  hairpin: boolean;
  lossPercent: number;
  blocksUdp: boolean;
  /** First port of the sequential allocators / offset of the ADM hash, picked at random per build. */
  portOffset: number;
  hashSeed: number;
  /** The carrier-grade NAT in front of this one ('double-nat'). */
  outer?: LabNat;
  /** The router's IPv6 side, when its site has IPv6. */
  ipv6?: { mode: Exclude<SiteIpv6, 'none'>; wanAddress: string; lanAddress: string; lanCidr: string };
}

export interface LabExecOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  input?: string;
  maxOutputChars?: number;
}

let labCounter = 0;

function natInfo(router: RouterPlan, outer?: RouterPlan): LabNat {
  const info: LabNat = {
    ns: router.ns,
    wanAddress: router.wanAddress,
    lanAddress: router.lanAddress,
    lanCidr: router.lanCidr,
    behavior: router.behavior,
    hairpin: router.hairpin,
    lossPercent: router.lossPercent,
    blocksUdp: router.blockUdp,
    portOffset: router.portOffset,
    hashSeed: router.hashSeed,
  };
  if (outer) info.outer = natInfo(outer);
  if (router.ipv6) {
    const { mode, wanAddress, lanAddress, lanCidr } = router.ipv6;
    info.ipv6 = { mode, wanAddress, lanAddress, lanCidr };
  }
  return info;
}

function hostInfo(site: SitePlan, host: HostPlan): LabHost {
  return {
    site: site.key,
    ns: host.ns,
    address: host.address,
    gateway: host.gateway,
    topology: site.topology,
    publicAddress: site.publicAddress,
    ipv6: site.ipv6,
    address6: host.ipv6?.address ?? null,
    gateway6: host.ipv6?.gateway ?? null,
    publicAddress6: site.publicAddress6,
  };
}

export class Lab<K extends string = string> implements AsyncDisposable {
  readonly ns: { readonly inet: string };
  readonly hosts: Readonly<Record<K, LabHost>>;
  /** Every host of each site (SiteOptions.hosts), the first being `hosts[key]`. */
  readonly siteHosts: Readonly<Record<K, readonly LabHost[]>>;
  readonly nats: Readonly<Partial<Record<K, LabNat>>>;
  readonly serverAddresses: readonly string[] = serverAddresses;
  /** 2001:db8::1 and ::2 on the internet bridge when a site asked for IPv6; else empty. */
  readonly serverAddresses6: readonly string[];
  /** Namespaces this lab created (and will delete); nothing else is ever touched. */
  readonly namespaces: string[] = [];
  private readonly pids = new Set<number>();
  private readonly processes = new Set<LabProcess>();
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private readonly ip = requireTool('ip');
  private closing: Promise<void> | undefined;
  private readonly resources = { pids: this.pids, namespaces: this.namespaces };
  private readonly tracker = { add: (pid: number) => this.pids.add(pid), remove: (pid: number) => this.pids.delete(pid) };

  constructor(readonly plan: LabPlan) {
    this.ns = { inet: plan.inetNs };
    this.serverAddresses6 = plan.ipv6 ? serverAddresses6 : [];
    const hosts: Record<string, LabHost> = {};
    const nats: Record<string, LabNat> = {};
    const siteHosts: Record<string, LabHost[]> = {};
    for (const site of plan.sites) {
      siteHosts[site.key] = [site.host, ...site.extraHosts].map((host) => hostInfo(site, host));
      hosts[site.key] = siteHosts[site.key]![0]!;
      if (site.nat) nats[site.key] = natInfo(site.nat, site.cgn);
    }
    this.hosts = hosts as Record<K, LabHost>;
    this.siteHosts = siteHosts as Record<K, readonly LabHost[]>;
    this.nats = nats as Partial<Record<K, LabNat>>;
    registerLab(this.resources);
  }

  get prefix(): string {
    return this.plan.prefix;
  }

  /** The NAT next to a site's host; throws for a 'no-nat' site. */
  nat(key: K): LabNat {
    const nat = this.nats[key];
    if (!nat) throw new Error(`lab: site ${key} has no NAT`);
    return nat;
  }

  /** Runs argv inside one of this lab's namespaces, bounded in time (killed by pid on timeout). */
  exec(ns: string, argv: readonly string[], options: LabExecOptions = {}): Promise<ExecResult> {
    this.assertUsable(ns);
    const { timeoutMs = 30_000, ...rest } = options;
    return runBounded([this.ip, 'netns', 'exec', ns, ...argv], { timeoutMs, ...rest }, this.tracker);
  }

  /** Starts a long-running process inside one of this lab's namespaces; close() stops it. */
  async spawn(ns: string, argv: readonly string[], options: { maxOutputChars?: number } = {}): Promise<LabProcess> {
    this.assertUsable(ns);
    const child = await LabProcess.start(ns, [this.ip, 'netns', 'exec', ns, ...argv], options.maxOutputChars ?? 1 << 20, this.tracker);
    this.processes.add(child);
    void child.exited.then(() => this.processes.delete(child));
    return child;
  }

  /** Kills every process the lab started (by pid) and deletes every namespace it created. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.teardown();
    return this.closing;
  }

  /** Registers cleanup (temp dirs, say) to run at close(), after the processes are stopped. */
  defer(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Used by createLab only: creates one namespace and remembers it for teardown. */
  async addNamespace(name: string): Promise<boolean> {
    const result = await runBounded([this.ip, 'netns', 'add', name], { timeoutMs: 10_000 });
    if (result.code === 0) this.namespaces.push(name);
    else if (!/exists/i.test(result.stderr)) throw new Error(`lab: ip netns add ${name}: ${result.stderr.trim()}`);
    return result.code === 0;
  }

  private assertUsable(ns: string): void {
    if (this.closing) throw new Error('lab: already closed');
    if (!this.namespaces.includes(ns)) throw new Error(`lab: '${ns}' is not a namespace of this lab`);
  }

  private async teardown(): Promise<void> {
    await Promise.all([...this.processes].map((child) => child.stop({ graceMs: 1000 })));
    for (const pid of this.pids) signalPid(pid, 'SIGKILL');
    // Anything still living in our namespaces (a grandchild that changed group, say): by pid.
    for (const ns of this.namespaces) {
      const listed = await runBounded([this.ip, 'netns', 'pids', ns], { timeoutMs: 5000 });
      for (const pid of listed.stdout.split('\n').map((line) => Number.parseInt(line, 10))) {
        if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    }
    const failures: string[] = [];
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(`cleanup: ${(error as Error).message}`);
      }
    }
    await Promise.all(
      this.namespaces.map(async (ns) => {
        const result = await runBounded([this.ip, 'netns', 'del', ns], { timeoutMs: 10_000 });
        if (result.code !== 0 && !/No such file/i.test(result.stderr)) failures.push(`${ns}: ${result.stderr.trim()}`);
      }),
    );
    unregisterLab(this.resources);
    if (failures.length > 0) throw new Error(`lab: teardown incomplete: ${failures.join('; ')}`);
  }
}

/** Builds a lab. On any failure everything created so far is torn down before the error is thrown. */
export async function createLab<K extends string>(options: LabOptions<K>): Promise<Lab<K>> {
  const capability = checkLabCapability();
  if (!capability.ok) throw new Error(`lab: ${capability.reason}`);
  const tools: BuildTools = { ip: requireTool('ip'), nft: requireTool('nft'), sysctl: requireTool('sysctl'), run: mustRun };
  let lab: Lab<K> | undefined;
  try {
    // A unique prefix per build; `ip netns add` fails if a name exists, so a leftover from a
    // crashed run with a recycled pid is skipped, never reused or deleted.
    for (let attempt = 0; attempt < 8 && !lab; attempt++) {
      const prefix = `nk${process.pid.toString(36)}${(labCounter++).toString(36)}`;
      const candidate = new Lab<K>(planLab(prefix, options.sites, options.random));
      if (await candidate.addNamespace(candidate.ns.inet)) lab = candidate;
      else await candidate.close();
    }
    if (!lab) throw new Error('lab: could not find a free namespace prefix');
    const built = lab;
    for (const ns of built.plan.namespaces.slice(1)) {
      if (!(await built.addNamespace(ns))) throw new Error(`lab: namespace ${ns} already exists`);
    }
    await Promise.all(built.plan.namespaces.map((ns) => mustRun([tools.ip, '-n', ns, 'link', 'set', 'lo', 'up'])));
    if (built.plan.ipv6) {
      // The internet namespace routes too: it holds the routes to the sites' routed IPv6 LANs, so
      // one site's IPv6 traffic to another's (a direct IPv6 path between peers) goes through it.
      const routers = new Set([built.ns.inet, ...built.plan.sites.flatMap((site) => [site.nat?.ns, site.cgn?.ns])]);
      await Promise.all(built.plan.namespaces.map((ns) => prepareIpv6(tools, ns, { forwarding: routers.has(ns) })));
    }
    await buildInet(tools, built.ns.inet, built.plan.ipv6);
    await Promise.all(built.plan.sites.map((site) => buildSite(tools, built.ns.inet, site)));
    return built;
  } catch (error) {
    await lab?.close();
    throw error;
  }
}

async function mustRun(argv: readonly string[], input?: string): Promise<void> {
  const result = await runBounded(argv, input === undefined ? { timeoutMs: 15_000 } : { timeoutMs: 15_000, input });
  if (result.code !== 0) {
    throw new Error(`lab: '${argv.join(' ').slice(0, 200)}' failed (${result.code ?? result.signal}): ${result.stderr.trim()}`);
  }
}
