import type { Endpoint } from '@natkit/net';
import { VirtualEndpoint } from '../address/virtual-endpoint.js';
import { VnetError } from '../errors.js';
import { createPrng, type Prng } from '../prng.js';
import type { DropReason } from '../observe/drop-reason.js';
import { resolveNatBehavior, type NatBehavior, type NatOptions } from './nat-behavior.js';
import { PortAllocator } from './port-allocator.js';

/** A translation refused: the packet is dropped for `drop`. */
export interface NatDrop {
  readonly drop: DropReason;
}

/** A snapshot of one mapping, for tests and diagnostics. */
export interface NatMappingInfo {
  readonly internal: Endpoint;
  readonly external: Endpoint;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly permissions: number;
}

export interface NatTableOptions {
  readonly behavior?: NatOptions;
  /** External addresses of one family (canonical text). A firewall table needs none. */
  readonly externalAddresses?: readonly string[];
  /** Random ports and arbitrary pooling; default a generator seeded with 1. */
  readonly random?: Prng;
  /**
   * false: a stateful firewall (no translation, the same filtering and lifetime rules), as an
   * IPv6 router without NAT66 is. Default true.
   */
  readonly translate?: boolean;
}

interface Mapping {
  readonly internal: VirtualEndpoint;
  readonly external: VirtualEndpoint;
  readonly bound: string;
  readonly permissions: Set<string>;
  readonly createdAt: number;
  expiresAt: number;
}

const DROP_NO_MAPPING: NatDrop = Object.freeze({ drop: 'no-mapping' });
const DROP_FILTERED: NatDrop = Object.freeze({ drop: 'filtered' });
const DROP_EXPIRED: NatDrop = Object.freeze({ drop: 'expired' });
const DROP_LIMIT: NatDrop = Object.freeze({ drop: 'mapping-limit' });
const DROP_EXHAUSTED: NatDrop = Object.freeze({ drop: 'port-exhausted' });

export function isNatDrop<E extends Endpoint>(result: E | NatDrop): result is NatDrop {
  return (result as Partial<NatDrop>).drop !== undefined;
}

/**
 * The translation state of one NAT for one address family, with no routing and no timers: the
 * caller passes `now` (natlab's NATTable contract). Outbound packets create and refresh mappings
 * and permissions; inbound packets are let through to the internal endpoint or refused with a
 * reason. Expired mappings are removed when met and by an amortised sweep, so memory stays
 * bounded by live mappings.
 */
export class NatTable {
  readonly behavior: NatBehavior;
  readonly translates: boolean;
  readonly #external: readonly string[];
  readonly #random: Prng;
  /** internal `address:port` -> bound key ('' | remote address | remote address:port) -> mapping. */
  readonly #bySource = new Map<string, Map<string, Mapping>>();
  readonly #byExternal = new Map<string, Mapping>();
  readonly #byHost = new Map<string, Set<Mapping>>();
  readonly #paired = new Map<string, string>();
  readonly #allocators = new Map<string, PortAllocator>();
  #pairedNext = 0;
  #sweepAt = 1024;

  constructor(options: NatTableOptions = {}) {
    this.translates = options.translate ?? true;
    const behavior = resolveNatBehavior(options.behavior);
    // Without translation the external endpoint is the internal one, so there is one per source.
    this.behavior = this.translates ? behavior : { ...behavior, mapping: 'endpoint-independent' };
    this.#external = [...(options.externalAddresses ?? [])];
    this.#random = options.random ?? createPrng(1);
    if (this.translates && this.#external.length === 0) {
      throw new VnetError('ERR_VNET_CONFIG', 'a translating NatTable needs at least one external address');
    }
  }

  get externalAddresses(): readonly string[] {
    return this.#external;
  }

  /** Whether `address` is one of this NAT's external addresses. */
  isExternal(address: string): boolean {
    return this.translates && this.#external.includes(address);
  }

  /** Number of mappings held, including expired ones not yet swept. */
  get size(): number {
    return this.#byExternal.size;
  }

  /**
   * Translates the source of an outbound packet from `src` to `dst`: the external endpoint to
   * use, or a drop ('mapping-limit', 'port-exhausted').
   */
  translateOutbound(src: Endpoint, dst: Endpoint, now: number): VirtualEndpoint | NatDrop {
    const source = toVirtual(src);
    const remote = toVirtual(dst);
    const bound = this.#key(this.behavior.mapping, remote);
    let m = this.#bySource.get(source.key)?.get(bound);
    if (m !== undefined && m.expiresAt <= now) {
      this.#remove(m);
      m = undefined;
    }
    if (m === undefined) {
      const created = this.#create(source, bound, now);
      if ('drop' in created) return created;
      m = created;
    }
    m.expiresAt = now + this.behavior.mappingLifetimeMs;
    if (this.behavior.filtering !== 'endpoint-independent') {
      const permissions = m.permissions;
      const key = this.#key(this.behavior.filtering, remote);
      if (!permissions.has(key)) {
        if (permissions.size >= this.behavior.maxPermissionsPerMapping) {
          permissions.delete(permissions.values().next().value as string);
        }
        permissions.add(key);
      }
    }
    return m.external;
  }

  /**
   * Translates the destination of an inbound packet from `src` to `dst` (an external endpoint):
   * the internal endpoint, or a drop ('no-mapping', 'expired', 'filtered'; a firewall table
   * reports an unknown destination as 'filtered').
   */
  translateInbound(src: Endpoint, dst: Endpoint, now: number): VirtualEndpoint | NatDrop {
    const remote = toVirtual(src);
    const m = this.#byExternal.get(toVirtual(dst).key);
    if (m === undefined) return this.translates ? DROP_NO_MAPPING : DROP_FILTERED;
    if (m.expiresAt <= now) {
      this.#remove(m);
      return DROP_EXPIRED;
    }
    const filtering = this.behavior.filtering;
    if (filtering !== 'endpoint-independent' && !m.permissions.has(this.#key(filtering, remote))) {
      return DROP_FILTERED;
    }
    if (this.behavior.inboundRefresh) m.expiresAt = now + this.behavior.mappingLifetimeMs;
    return m.internal;
  }

  /** Live mappings at `now`, oldest first. */
  mappings(now: number = Number.NEGATIVE_INFINITY): NatMappingInfo[] {
    const out: NatMappingInfo[] = [];
    for (const m of this.#byExternal.values()) {
      if (m.expiresAt <= now) continue;
      out.push({
        internal: m.internal,
        external: m.external,
        createdAt: m.createdAt,
        expiresAt: m.expiresAt,
        permissions: m.permissions.size,
      });
    }
    return out;
  }

  /** Removes every mapping expired at `now`. */
  sweep(now: number): void {
    for (const m of this.#byExternal.values()) if (m.expiresAt <= now) this.#remove(m);
    this.#sweepAt = Math.max(1024, this.#byExternal.size * 2);
  }

  #create(source: VirtualEndpoint, bound: string, now: number): Mapping | NatDrop {
    if (this.#byExternal.size >= this.#sweepAt) this.sweep(now);
    const hostMappings = this.#byHost.get(source.address);
    if (hostMappings !== undefined && hostMappings.size >= this.behavior.maxMappingsPerHost) {
      for (const old of hostMappings) if (old.expiresAt <= now) this.#remove(old);
      if (hostMappings.size >= this.behavior.maxMappingsPerHost) return DROP_LIMIT;
    }
    let external: VirtualEndpoint;
    if (this.translates) {
      const address = this.#pickAddress(source.address);
      let allocator = this.#allocators.get(address);
      if (allocator === undefined) {
        allocator = new PortAllocator(this.behavior, this.#random);
        this.#allocators.set(address, allocator);
      }
      const port = allocator.allocate(source.port, (p) => this.#byExternal.has(`${address}:${p}`));
      if (port === undefined) return DROP_EXHAUSTED;
      external = new VirtualEndpoint(address, port);
    } else {
      external = source;
    }
    const m: Mapping = { internal: source, external, bound, permissions: new Set(), createdAt: now, expiresAt: now };
    let group = this.#bySource.get(source.key);
    if (group === undefined) {
      group = new Map();
      this.#bySource.set(source.key, group);
    }
    group.set(bound, m);
    this.#byExternal.set(external.key, m);
    if (hostMappings === undefined) this.#byHost.set(source.address, new Set([m]));
    else hostMappings.add(m);
    return m;
  }

  #remove(m: Mapping): void {
    const group = this.#bySource.get(m.internal.key);
    if (group?.get(m.bound) === m) {
      group.delete(m.bound);
      if (group.size === 0) this.#bySource.delete(m.internal.key);
    }
    if (this.#byExternal.get(m.external.key) === m) this.#byExternal.delete(m.external.key);
    const host = this.#byHost.get(m.internal.address);
    if (host !== undefined) {
      host.delete(m);
      if (host.size === 0) this.#byHost.delete(m.internal.address);
    }
  }

  #pickAddress(internalAddress: string): string {
    const pool = this.#external;
    if (pool.length === 1) return pool[0] as string;
    if (this.behavior.pooling === 'arbitrary') return pool[this.#random.int(pool.length)] as string;
    const paired = this.#paired.get(internalAddress);
    if (paired !== undefined) return paired;
    const address = pool[this.#pairedNext++ % pool.length] as string;
    this.#paired.set(internalAddress, address);
    return address;
  }

  #key(dependency: NatBehavior['mapping'], remote: VirtualEndpoint): string {
    return dependency === 'endpoint-independent' ? '' : dependency === 'address-dependent' ? remote.address : remote.key;
  }
}

function toVirtual(e: Endpoint): VirtualEndpoint {
  return e instanceof VirtualEndpoint ? e : new VirtualEndpoint(e.address, e.port);
}
