import { systemClock, type ChannelForwarding, type Clock, type Endpoint, type ForwardedCounts, type ForwardingQuota, type UdpSocket } from '@natkit/net';
import type { Allocation } from '../allocation/allocation.js';
import type { ClientContext } from './client-transport.js';

/**
 * Whether this server hands ChannelData to the sockets' fast path (`UdpSocket.channelForwarding`,
 * the Node adapter's batched-I/O addon), and why not when it does not. Per allocation it is
 * used only over UDP, where the listening socket and the relay socket both offer it.
 */
export interface ChannelOffloadStatus {
  readonly enabled: boolean;
  readonly reason?: string;
}

/** What went through the fast path (a part of the server's relayed totals). */
export interface FastPathStats extends ForwardedCounts {
  /** Channel routes installed in the sockets now. */
  readonly routes: number;
}

/**
 * A route ends this long before the state that allows it does: the server's clock and the addon's
 * are read at different moments, so the last second of a channel, permission or allocation is
 * relayed by the JS path, which checks it exactly.
 */
export const OFFLOAD_MARGIN_MS = 1000;

/** The routes installed for one allocation. */
interface Installed {
  readonly forwarding: ChannelForwarding;
  readonly client: Endpoint;
  /** Relay sockets that had routes: their counters are read until the allocation is deleted. */
  readonly relays: Set<UdpSocket>;
  /** Channel -> the route's end on the server's clock. */
  readonly channels: Map<number, number>;
}

const ZERO: ForwardedCounts = { packetsToPeers: 0, bytesToPeers: 0, packetsToClients: 0, bytesToClients: 0, drops: 0 };

function add(a: ForwardedCounts, b: ForwardedCounts): ForwardedCounts {
  return {
    packetsToPeers: a.packetsToPeers + b.packetsToPeers,
    bytesToPeers: a.bytesToPeers + b.bytesToPeers,
    packetsToClients: a.packetsToClients + b.packetsToClients,
    bytesToClients: a.bytesToClients + b.bytesToClients,
    drops: a.drops + b.drops,
  };
}

/**
 * Keeps the sockets' ChannelData routes equal to what the server's state allows: after every
 * successful request on an allocation (`sync`: ChannelBind, CreatePermission, Refresh) each live
 * channel gets a route that ends with the first of its allocation, its peer's permission and the
 * channel itself (less {@link OFFLOAD_MARGIN_MS}); deleting an allocation (`forget`) removes its
 * routes before its relay sockets close. The addon relays a datagram only on a live route, so it
 * relays only what `handleChannelDataFromClient` and `relayFromPeer` would.
 *
 * With a bandwidth quota each allocation's buckets live in the addon (`quotaFor`), shared by its
 * routes and by the JS path, so both together keep the one rate; an allocation whose quota could
 * not be made stays on the JS path. Off with a clock other than the system clock (the addon's
 * deadlines are real time).
 */
export class ChannelOffload {
  readonly status: ChannelOffloadStatus;
  private readonly installed = new Map<string, Installed>();
  private harvested: ForwardedCounts = ZERO;

  constructor(
    private readonly clock: Clock,
    private readonly bandwidth: number,
    private readonly listenerFor: (local: Endpoint) => UdpSocket | undefined,
    private readonly quotaOf: (key: string) => ForwardingQuota | undefined,
  ) {
    this.status = clock === systemClock ? { enabled: true } : { enabled: false, reason: 'the server runs on an injected clock (the fast path keeps real time)' };
  }

  /** With a bandwidth quota: the new allocation's buckets, in the addon of its UDP socket (undefined: the server's own). */
  quotaFor(ctx: ClientContext): ForwardingQuota | undefined {
    if (!this.status.enabled || this.bandwidth <= 0 || ctx.transport !== 'udp') return undefined;
    return this.listenerFor(ctx.local)?.channelForwarding?.createQuota(this.bandwidth);
  }

  /** Routes of `a` follow its state now (after a successful request on it). */
  sync(a: Allocation<UdpSocket>): void {
    if (!this.status.enabled || a.fiveTuple.transport !== 'udp') return;
    const quota = this.bandwidth > 0 ? this.quotaOf(a.key) : undefined;
    if (this.bandwidth > 0 && quota === undefined) return; // the JS path enforces the quota
    const entry = this.installed.get(a.key) ?? this.start(a);
    if (entry === undefined) return;
    const now = this.clock.now();
    const live = new Set<number>();
    for (const b of a.liveBindings(now)) {
      const relay = b.family === undefined ? undefined : a.relayFor(b.family)?.handle;
      const ttlMs = Math.min(a.expiresAt, a.permissions.get(b.peerIp) ?? 0, b.expiresAt) - now - OFFLOAD_MARGIN_MS;
      if (relay === undefined || ttlMs <= 0) continue;
      if (entry.forwarding.setRoute({ client: entry.client, channel: b.channel, relay, peer: b.peer, ttlMs, quota }) !== 'ok') continue;
      live.add(b.channel);
      entry.channels.set(b.channel, now + ttlMs);
      entry.relays.add(relay);
    }
    for (const channel of entry.channels.keys()) if (!live.has(channel)) this.drop(entry, channel);
  }

  /** The allocation is being deleted: its routes go, its relay sockets' counters are kept (call before they close). */
  forget(a: Allocation<UdpSocket>): void {
    const entry = this.installed.get(a.key);
    if (entry === undefined) return;
    this.installed.delete(a.key);
    for (const channel of [...entry.channels.keys()]) this.drop(entry, channel);
    for (const relay of entry.relays) this.harvested = add(this.harvested, relay.channelForwarding?.forwarded() ?? ZERO);
  }

  /** Periodic: removes the routes that have ended (the addon ignores them already; this frees their room). */
  sweep(now: number): void {
    for (const entry of this.installed.values()) {
      for (const [channel, end] of entry.channels) if (end <= now) this.drop(entry, channel);
    }
  }

  /** Everything relayed through the fast path, deleted allocations included. */
  stats(): FastPathStats {
    let total = this.harvested;
    let routes = 0;
    for (const entry of this.installed.values()) {
      routes += entry.channels.size;
      for (const relay of entry.relays) total = add(total, relay.channelForwarding?.forwarded() ?? ZERO);
    }
    return { ...total, routes };
  }

  private start(a: Allocation<UdpSocket>): Installed | undefined {
    const forwarding = this.listenerFor(a.fiveTuple.local)?.channelForwarding;
    if (forwarding === undefined || a.liveBindings(this.clock.now()).length === 0) return undefined;
    const entry: Installed = { forwarding, client: a.fiveTuple.client, relays: new Set(), channels: new Map() };
    this.installed.set(a.key, entry);
    return entry;
  }

  private drop(entry: Installed, channel: number): void {
    entry.channels.delete(channel);
    entry.forwarding.deleteRoute(entry.client, channel);
  }
}
