import { familyOf, systemClock, type Clock, type Family, type Logger } from '@natkit/net';
import { AddressPool } from './address/address-pool.js';
import { canonicalAddress, parseCidr } from './address/ip.js';
import { VnetError } from './errors.js';
import { Fabric } from './fabric.js';
import { HostNode } from './host.js';
import { LinkNode, type LinkOptions } from './link.js';
import type { NatOptions } from './nat/nat-behavior.js';
import { NatTable } from './nat/nat-table.js';
import type { DropEvent, DropReason } from './observe/drop-reason.js';
import type { TraceEntry } from './observe/packet-trace.js';
import { createPrng, type Prng } from './prng.js';
import { RouterNode } from './router.js';
import type { Router, VirtualHost } from './topology.js';

export interface VirtualNetworkOptions {
  /** Drives every delay and timer: a `ManualClock` in tests, `systemClock` (the default) for demos. */
  readonly clock?: Clock;
  /** Seed of every random choice (loss, jitter, random ports); default 1. */
  readonly seed?: number;
  readonly logger?: Logger;
  /**
   * Address space of the root router ("the internet"); defaults 203.0.113.0/24 and 2001:db8::/32.
   * Automatic addresses start at the 10th (203.0.113.10), so static ones below it never collide.
   */
  readonly internet?: { readonly ipv4Cidr?: string; readonly ipv6Cidr?: string };
  /** Drops kept for `recentDrops()`; default 100. */
  readonly dropHistory?: number;
  /** Turns the packet trace on with this capacity (entries); off by default. */
  readonly trace?: number;
  /** Datagrams a socket holds before its handlers run; default 4096. */
  readonly receiveQueueLimit?: number;
  /** Packets in flight in the whole network; beyond, new ones are dropped ('queue-full'); default 1 000 000. */
  readonly maxInFlight?: number;
}

export interface RouterOptions {
  readonly name?: string;
  /** NAT behaviour (a preset from `natPresets`, or any fields); default port-restricted cone. */
  readonly nat?: NatOptions;
  /** External addresses (both families allowed); default one per family from the parent's LAN. */
  readonly externalAddresses?: readonly string[];
  /** LAN prefixes; defaults 10.x.y.0/24 and (with NAT66) fd00::x:0:0:0/64 or (without) 2001:db8:1xx::/64. */
  readonly ipv4Cidr?: string;
  readonly ipv6Cidr?: string;
  /** false: IPv6 is routed untranslated through a stateful firewall with the NAT's filtering. Default true. */
  readonly nat66?: boolean;
  /** Drop all UDP ('blocked'). */
  readonly blocked?: boolean;
  /** Impairments of the link to the parent. */
  readonly link?: LinkOptions;
}

export interface HostOptions {
  readonly name?: string;
  /** Static address(es), or true (default) to take one from the router's prefix, false for none. */
  readonly ipv4?: string | readonly string[] | boolean;
  readonly ipv6?: string | readonly string[] | boolean;
  /** Impairments of the link to the router. */
  readonly link?: LinkOptions;
}

export interface NetworkStats {
  readonly sent: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly drops: Readonly<Record<DropReason, number>>;
  readonly inFlight: number;
}

/**
 * A virtual network: a tree of routers with NATs, hosts whose `network` implements `Network`,
 * links with impairments, all driven by one clock and one seed. Instances share nothing.
 */
export class VirtualNetwork implements AsyncDisposable {
  readonly clock: Clock;
  /** The root router: the public internet, no NAT. */
  readonly internet: Router;
  readonly #root: RouterNode;
  readonly #fabric: Fabric;
  readonly #random: Prng;
  readonly #receiveQueueLimit: number;
  readonly #hosts: HostNode[] = [];
  readonly #routerNodes = new Set<RouterNode>();
  #routers = 0;
  #closed = false;

  constructor(options: VirtualNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.#random = createPrng(options.seed ?? 1);
    this.#receiveQueueLimit = positive(options.receiveQueueLimit ?? 4096, 'receiveQueueLimit');
    this.#fabric = new Fabric({
      clock: this.clock,
      ...(options.logger !== undefined ? { logger: options.logger.child('vnet') } : {}),
      dropHistory: Math.min(positive(options.dropHistory ?? 100, 'dropHistory', 0), 100_000),
      maxInFlight: positive(options.maxInFlight ?? 1_000_000, 'maxInFlight'),
      maxEventsPerDrain: 1_000_000,
    });
    if (options.trace !== undefined) this.enableTrace(options.trace);
    const cidr4 = parseCidr(options.internet?.ipv4Cidr ?? '203.0.113.0/24');
    const cidr6 = parseCidr(options.internet?.ipv6Cidr ?? '2001:db8::/32');
    this.#root = new RouterNode({
      name: 'internet',
      fabric: this.#fabric,
      parent: undefined,
      uplink: undefined,
      tables: { 4: undefined, 6: undefined },
      pools: { 4: new AddressPool(cidr4, 10), 6: new AddressPool(cidr6, 10) },
      blocked: false,
    });
    this.internet = this.#root;
    this.#routerNodes.add(this.#root);
  }

  /** Adds a router with a NAT below `parent` (the internet, or another NAT for carrier-grade chains). */
  createRouter(parentRouter: Router, options: RouterOptions = {}): Router {
    this.#checkOpen();
    const parent = this.#node(parentRouter);
    const index = ++this.#routers;
    const name = options.name ?? `router${index}`;
    const nat66 = options.nat66 ?? true;
    const explicit = (options.externalAddresses ?? []).map((a) => address(a));
    const external = (family: Family): string[] => {
      const given = explicit.filter((a) => familyOf(a) === family);
      if (given.length > 0 || options.externalAddresses !== undefined) return given;
      const auto = parent.allocate(family);
      return auto === undefined ? [] : [auto];
    };
    const table = (family: Family, translate: boolean, addresses: string[]): NatTable | undefined =>
      translate && addresses.length === 0
        ? undefined
        : new NatTable({
            ...(options.nat !== undefined ? { behavior: options.nat } : {}),
            externalAddresses: addresses,
            random: this.#random.fork(`${name}/nat${family}`),
            translate,
          });
    const ext4 = external(4);
    const ext6 = nat66 ? external(6) : [];
    const cidr4 = parseCidr(options.ipv4Cidr ?? `10.${(index >> 8) & 255}.${index & 255}.0/24`);
    const cidr6 = parseCidr(options.ipv6Cidr ?? (nat66 ? `fd00:0:0:${index.toString(16)}::/64` : `2001:db8:${(0x100 + index).toString(16)}::/64`));
    if (cidr4.family !== 4 || cidr6.family !== 6) throw new VnetError('ERR_VNET_CONFIG', `${name}: ipv4Cidr/ipv6Cidr of the wrong family`);
    const uplink = new LinkNode(`${name}-uplink`, this.#random.fork(`${name}/uplink`), options.link);
    const router = new RouterNode({
      name,
      fabric: this.#fabric,
      parent,
      uplink,
      tables: { 4: table(4, true, ext4), 6: table(6, nat66, ext6) },
      pools: { 4: new AddressPool(cidr4, 2), 6: new AddressPool(cidr6, 2) },
      blocked: options.blocked ?? false,
    });
    for (const a of [...ext4, ...ext6]) parent.attach(a, familyOf(a) as Family, router, uplink);
    this.#routerNodes.add(router);
    return router;
  }

  /** Adds a host to `router`'s LAN (or to the internet when `router` is `internet`). */
  createHost(lan: Router, options: HostOptions = {}): VirtualHost {
    this.#checkOpen();
    const router = this.#node(lan);
    const name = options.name ?? `host${this.#hosts.length + 1}`;
    const pick = (family: Family, o: string | readonly string[] | boolean | undefined): string[] => {
      if (o === false) return [];
      if (o === undefined || o === true) {
        const a = router.allocate(family);
        return a === undefined ? [] : [a];
      }
      const list = (typeof o === 'string' ? [o] : o).map((a) => address(a));
      if (list.some((a) => familyOf(a) !== family)) throw new VnetError('ERR_VNET_CONFIG', `${name}: ipv${family} holds an address of the other family`);
      return list;
    };
    const addresses = [...pick(4, options.ipv4), ...pick(6, options.ipv6)];
    const link = new LinkNode(`${name}-link`, this.#random.fork(`${name}/link`), options.link);
    const host = new HostNode(name, router, link, addresses, this.#fabric, this.#receiveQueueLimit);
    for (const a of addresses) router.attach(a, familyOf(a) as Family, host, link);
    this.#hosts.push(host);
    return host;
  }

  /** Calls `listener` for every dropped packet; returns its remover. A throwing listener is ignored. */
  onDrop(listener: (event: DropEvent) => void): () => void {
    return this.#fabric.onDrop(listener);
  }

  /** The last `dropHistory` drops, oldest first. */
  recentDrops(): DropEvent[] {
    return this.#fabric.recentDrops();
  }

  stats(): NetworkStats {
    const f = this.#fabric;
    const drops = { ...f.drops };
    const dropped = Object.values(drops).reduce((a, b) => a + b, 0);
    return { sent: f.sent, delivered: f.delivered, dropped, drops, inFlight: f.inFlight };
  }

  /** Starts (or restarts, emptied) the packet trace, keeping the last `capacity` entries. */
  enableTrace(capacity = 10_000): void {
    this.#fabric.enableTrace(Math.min(positive(capacity, 'trace capacity'), 1_000_000));
  }

  disableTrace(): void {
    this.#fabric.disableTrace();
  }

  /** The trace, oldest first (empty when off). */
  trace(): TraceEntry[] {
    return this.#fabric.trace();
  }

  get openSockets(): number {
    return this.#hosts.reduce((n, h) => n + h.openSockets, 0);
  }

  /** Closes every socket, cancels the network's timer and drops packets in flight; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#fabric.close();
    await Promise.all(this.#hosts.map((h) => h.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The router behind a public `Router` handle; only this network's own routers are accepted. */
  #node(router: Router): RouterNode {
    if (!(router instanceof RouterNode) || !this.#routerNodes.has(router)) {
      throw new VnetError('ERR_VNET_CONFIG', 'not a router of this virtual network');
    }
    return router;
  }

  #checkOpen(): void {
    if (this.#closed) throw new VnetError('ERR_VNET_CLOSED', 'the virtual network is closed');
  }
}

/** Creates an isolated virtual network. */
export function createVirtualNetwork(options: VirtualNetworkOptions = {}): VirtualNetwork {
  return new VirtualNetwork(options);
}

function address(text: string): string {
  const a = canonicalAddress(text);
  if (a === undefined) throw new VnetError('ERR_VNET_CONFIG', `not an IP address: '${text}'`);
  return a;
}

function positive(n: number, what: string, min = 1): number {
  if (!Number.isInteger(n) || n < min) throw new VnetError('ERR_VNET_CONFIG', `${what} must be an integer >= ${min}`);
  return n;
}
