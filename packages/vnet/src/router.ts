import type { Family } from '@natkit/net';
import type { AddressPool } from './address/address-pool.js';
import { VnetError } from './errors.js';
import type { Fabric } from './fabric.js';
import type { LinkNode } from './link.js';
import { isNatDrop, type NatMappingInfo, type NatTable } from './nat/nat-table.js';
import type { Packet, PacketSink } from './packet.js';
import type { Router } from './topology.js';

/** Where a router sends packets for one address: the child (host or router) and the link to it. */
interface Route {
  readonly node: PacketSink;
  readonly link: LinkNode;
}

/** How a router is built (see `VirtualNetwork.createRouter`). */
export interface RouterInit {
  readonly name: string;
  readonly fabric: Fabric;
  readonly parent: RouterNode | undefined;
  readonly uplink: LinkNode | undefined;
  /** Per family: a NAT, a firewall (`translates === false`) or nothing (the root). */
  readonly tables: Readonly<Record<Family, NatTable | undefined>>;
  readonly pools: Readonly<Record<Family, AddressPool | undefined>>;
  readonly blocked: boolean;
}

/**
 * A router of the tree. The root is the internet: no NAT, it routes by destination address.
 * Every other router has a NAT (per family, or a stateful firewall for IPv6 without NAT66)
 * between its LAN (children) and its parent. A router routes by exact address: each address of
 * a host, and each router's external address, is registered at the router it hangs off and at
 * every ancestor up to the first one that translates that family.
 */
export class RouterNode implements PacketSink, Router {
  readonly name: string;
  readonly parent: RouterNode | undefined;
  /** The link to the parent (undefined for the root). */
  readonly uplink: LinkNode | undefined;
  /** When true the router drops all UDP, both ways ('blocked'). */
  blocked: boolean;
  readonly #fabric: Fabric;
  readonly #tables: Readonly<Record<Family, NatTable | undefined>>;
  readonly #pools: Readonly<Record<Family, AddressPool | undefined>>;
  readonly #routes = new Map<string, Route>();

  constructor(init: RouterInit) {
    this.name = init.name;
    this.parent = init.parent;
    this.uplink = init.uplink;
    this.blocked = init.blocked;
    this.#fabric = init.fabric;
    this.#tables = init.tables;
    this.#pools = init.pools;
  }

  /** The NAT (or firewall) table of a family; undefined at the root. */
  natTable(family: Family): NatTable | undefined {
    return this.#tables[family];
  }

  /** External addresses of this router's NAT, both families. */
  get externalAddresses(): readonly string[] {
    return [...(this.#tables[4]?.externalAddresses ?? []), ...(this.#tables[6]?.externalAddresses ?? [])];
  }

  /** Live mappings of a family's NAT or firewall at the clock's current time. */
  mappings(family: Family = 4): NatMappingInfo[] {
    return this.#tables[family]?.mappings(this.#fabric.clock.now()) ?? [];
  }

  receivePacket(p: Packet): void {
    if (this.blocked) this.#fabric.drop(p, 'blocked', this.name);
    else if (p.fromWan) this.#fromWan(p);
    else this.#fromLan(p);
  }

  /** Whether `address` is in use anywhere this router's routes reach (used before attaching). */
  isTaken(address: string): boolean {
    return this.#routes.has(address) || this.#tables[4]?.isExternal(address) === true || this.#tables[6]?.isExternal(address) === true;
  }

  /** Allocates a free address of the LAN prefix of `family`, or undefined without a prefix. */
  allocate(family: Family): string | undefined {
    return this.#pools[family]?.allocate((a) => this.#chain(a, family).some((r) => r.isTaken(a)));
  }

  /** Registers `address` as reachable through `node` over `link`; throws ERR_ADDRESS_IN_USE. */
  attach(address: string, family: Family, node: PacketSink, link: LinkNode): void {
    const chain = this.#chain(address, family);
    const taken = chain.find((r) => r.isTaken(address));
    if (taken !== undefined) throw new VnetError('ERR_ADDRESS_IN_USE', `${address} is already used behind ${taken.name}`);
    let route: Route = { node, link };
    for (const r of chain) {
      r.#routes.set(address, route);
      if (r.uplink !== undefined) route = { node: r, link: r.uplink };
    }
  }

  /** This router and the ancestors an address of `family` propagates to. */
  #chain(_address: string, family: Family): RouterNode[] {
    const chain: RouterNode[] = [this];
    for (let r = this.#passesUp(family); r !== undefined; r = r.#passesUp(family)) chain.push(r);
    return chain;
  }

  /** The parent, when this router passes addresses of `family` up untranslated (a firewall). */
  #passesUp(family: Family): RouterNode | undefined {
    return this.#tables[family]?.translates === false ? this.parent : undefined;
  }

  #fromLan(p: Packet): void {
    const dst = p.dst;
    const route = this.#routes.get(dst.address);
    if (route !== undefined) {
      this.#fabric.transit(route.link, false, p, route.node, true);
      return;
    }
    const table = this.#tables[dst.family];
    if (table === undefined || this.parent === undefined || this.uplink === undefined) {
      this.#fabric.drop(p, 'no-route', this.name);
      return;
    }
    if (table.translates && table.isExternal(dst.address)) {
      this.#hairpin(p, table);
      return;
    }
    const src = table.translateOutbound(p.src, dst, p.at);
    if (isNatDrop(src)) {
      this.#fabric.drop(p, src.drop, this.name);
      return;
    }
    if (table.translates) {
      p.src = src;
      if (this.#fabric.tracing) this.#fabric.record('nat-outbound', p, this.name);
    }
    this.#fabric.transit(this.uplink, true, p, this.parent, true);
  }

  #fromWan(p: Packet): void {
    const table = this.#tables[p.dst.family];
    if (table === undefined) {
      this.#fabric.drop(p, 'no-route', this.name);
      return;
    }
    if (table.translates) {
      const dst = table.translateInbound(p.src, p.dst, p.at);
      if (isNatDrop(dst)) {
        this.#fabric.drop(p, dst.drop, this.name);
        return;
      }
      p.dst = dst;
      if (this.#fabric.tracing) this.#fabric.record('nat-inbound', p, this.name);
    }
    const route = this.#routes.get(p.dst.address);
    if (route === undefined) {
      this.#fabric.drop(p, 'no-route', this.name);
      return;
    }
    if (!table.translates) {
      const allowed = table.translateInbound(p.src, p.dst, p.at);
      if (isNatDrop(allowed)) {
        this.#fabric.drop(p, allowed.drop, this.name);
        return;
      }
    }
    this.#fabric.transit(route.link, false, p, route.node, true);
  }

  /** RFC 4787 §6: a LAN host sends to the NAT's own external address. */
  #hairpin(p: Packet, table: NatTable): void {
    if (!table.behavior.hairpinning) {
      this.#fabric.drop(p, 'no-hairpin', this.name);
      return;
    }
    const src = table.translateOutbound(p.src, p.dst, p.at);
    if (isNatDrop(src)) {
      this.#fabric.drop(p, src.drop, this.name);
      return;
    }
    const dst = table.translateInbound(src, p.dst, p.at);
    if (isNatDrop(dst)) {
      this.#fabric.drop(p, dst.drop, this.name);
      return;
    }
    p.src = src;
    p.dst = dst;
    if (this.#fabric.tracing) this.#fabric.record('nat-inbound', p, this.name);
    const route = this.#routes.get(p.dst.address);
    if (route === undefined) this.#fabric.drop(p, 'no-route', this.name);
    else this.#fabric.transit(route.link, false, p, route.node, true);
  }
}
