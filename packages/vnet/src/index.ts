/**
 * @packageDocumentation
 * A virtual network for testing NAT traversal: a tree of routers whose NATs follow RFC 4787
 * (mapping, filtering, port allocation, hairpinning, lifetimes), links with loss, delay and
 * bandwidth limits, and hosts whose `network` implements `Network` from `@natkit/net`, all
 * driven by one (manual) clock and one seed.
 *
 * @example
 * ```ts
 * import { createVirtualNetwork, ManualClock, natPresets } from '@natkit/vnet';
 * const clock = new ManualClock();
 * const vnet = createVirtualNetwork({ clock, seed: 7 });
 * const natA = vnet.createRouter(vnet.internet, { nat: natPresets.portRestrictedCone });
 * const natB = vnet.createRouter(vnet.internet, { nat: natPresets.fullCone });
 * const a = await vnet.createHost(natA).network.bindUdp({ family: 4 });
 * const b = await vnet.createHost(natB).network.bindUdp({ family: 4, port: 5000 });
 * const got = new Promise<Uint8Array>((resolve) => b.onMessage((data) => resolve(data)));
 * // B speaks first: a full-cone NAT maps only after an outbound packet (this one is dropped at NAT A).
 * b.send(new Uint8Array([0]), { address: natA.externalAddresses[0]!, port: a.local.port });
 * a.send(new TextEncoder().encode('hi'), { address: natB.externalAddresses[0]!, port: 5000 });
 * await clock.runUntil(got);
 * ```
 */
export type { Cidr } from './address/ip.js';
export { canonicalAddress, parseCidr } from './address/ip.js';
export { VirtualEndpoint } from './address/virtual-endpoint.js';
export type { AdvanceOptions, ManualClockOptions, RunUntilOptions } from './clock/manual-clock.js';
export { ManualClock } from './clock/manual-clock.js';
export type { VnetErrorCode } from './errors.js';
export { VnetError } from './errors.js';
export type { BandwidthOptions, LinkOptions } from './link.js';
export type { EndpointDependency, NatBehavior, NatOptions, PortAllocation, Pooling } from './nat/nat-behavior.js';
export { defaultNatBehavior, resolveNatBehavior } from './nat/nat-behavior.js';
export type { NatDrop, NatMappingInfo, NatTableOptions } from './nat/nat-table.js';
export { isNatDrop, NatTable } from './nat/nat-table.js';
export type { NatPresetName } from './nat/presets.js';
export { natPresets } from './nat/presets.js';
export type { DropEvent, DropReason } from './observe/drop-reason.js';
export { dropReasons } from './observe/drop-reason.js';
export type { TraceEntry, TraceEvent } from './observe/packet-trace.js';
export { formatTraceEntry } from './observe/packet-trace.js';
export type { Prng } from './prng.js';
export { createPrng } from './prng.js';
export type { Link, Router, VirtualHost } from './topology.js';
export type { HostOptions, NetworkStats, RouterOptions, VirtualNetworkOptions } from './virtual-network.js';
export { createVirtualNetwork, VirtualNetwork } from './virtual-network.js';
