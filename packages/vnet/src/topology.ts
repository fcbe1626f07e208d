import type { Family, Network } from '@natkit/net';
import type { LinkOptions } from './link.js';
import type { NatMappingInfo, NatTable } from './nat/nat-table.js';

/** The link between a node and its parent router: impairments that a test may change half-way. */
export interface Link {
  readonly name: string;
  /** The impairments in force. */
  readonly options: LinkOptions;
  /** Replaces the link's impairments (a test can turn loss on half-way). */
  configure(options: LinkOptions): void;
}

/**
 * A router of the virtual network (made by `VirtualNetwork.createRouter`). The root,
 * `vnet.internet`, has no NAT; every other router has a NAT per family (or, for IPv6 without
 * NAT66, a stateful firewall) between its LAN and its parent.
 */
export interface Router {
  readonly name: string;
  /** The parent router; undefined for the internet. */
  readonly parent: Router | undefined;
  /** The link to the parent (undefined for the internet). */
  readonly uplink: Link | undefined;
  /** When true the router drops all UDP, both ways ('blocked'). */
  blocked: boolean;
  /** External addresses of this router's NAT, both families. */
  readonly externalAddresses: readonly string[];
  /** The NAT (or firewall) table of a family; undefined at the root. */
  natTable(family: Family): NatTable | undefined;
  /** Live mappings of a family's NAT or firewall at the clock's current time. */
  mappings(family?: Family): NatMappingInfo[];
}

/**
 * A virtual machine attached to a router (made by `VirtualNetwork.createHost`). `network` is
 * the `Network` that code under test gets; the host's addresses are fixed at creation (the first
 * of each family is its primary one).
 */
export interface VirtualHost extends AsyncDisposable {
  readonly name: string;
  readonly router: Router;
  /** The link to the router. */
  readonly link: Link;
  readonly addresses: readonly string[];
  readonly network: Network;
  /** The primary address of a family, if the host has one. */
  address(family: Family): string | undefined;
  /** Sockets currently open (a test's teardown can assert 0). */
  readonly openSockets: number;
  /** Closes every socket of the host; idempotent. */
  close(): Promise<void>;
}
