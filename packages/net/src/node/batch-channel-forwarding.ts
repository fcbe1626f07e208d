import type { ChannelForwarding, ChannelRoute, ChannelRouteResult, ForwardedCounts, ForwardingQuota } from '../channel-forwarding.js';
import type { Endpoint } from '../endpoint.js';
import type { UdpSocket } from '../network.js';
import type { UdpBatchAddon } from './batch-udp-addon.js';

/** -ENOSPC, -EBADF (Linux errno values: the addon is Linux-only). */
const ENOSPC = 28;
const EBADF = 9;

/** The addon's socket id of `socket` when it is a socket of `addon` and open. */
export type AddonIdOf = (socket: UdpSocket, addon: UdpBatchAddon) => number | undefined;

/**
 * The addon's ChannelData fast path seen from one batch socket (native/udp-forward.c): as the
 * listening socket it installs routes; as a relay socket it reports what was forwarded.
 */
export class BatchChannelForwarding implements ChannelForwarding {
  constructor(
    private readonly addon: UdpBatchAddon,
    private readonly id: () => number | undefined,
    private readonly idOf: AddonIdOf,
  ) {}

  setRoute(route: ChannelRoute): ChannelRouteResult {
    const id = this.id();
    if (id === undefined) return 'closed';
    const relay = this.idOf(route.relay, this.addon);
    if (relay === undefined) return 'not-supported';
    const quota = route.quota === undefined ? 0 : route.quota instanceof BatchQuota && route.quota.addon === this.addon ? route.quota.id : undefined;
    if (quota === undefined) return 'not-supported';
    const { client, peer } = route;
    const r = this.addon.setRoute(id, client.address, client.port, route.channel, relay, peer.address, peer.port, route.ttlMs, quota);
    if (r === 0) return 'ok';
    if (r === -ENOSPC) return 'table-full';
    return r === -EBADF ? 'closed' : 'bad-route';
  }

  deleteRoute(client: Endpoint, channel: number): boolean {
    const id = this.id();
    return id !== undefined && this.addon.deleteRoute(id, client.address, client.port, channel) === 0;
  }

  forwarded(): ForwardedCounts {
    const id = this.id();
    const r = id === undefined ? -EBADF : this.addon.forwardStats(id);
    const [packetsToPeers, bytesToPeers, packetsToClients, bytesToClients, drops] = typeof r === 'number' ? [0, 0, 0, 0, 0] : r;
    return { packetsToPeers, bytesToPeers, packetsToClients, bytesToClients, drops };
  }

  createQuota(bytesPerSecond: number): ForwardingQuota | undefined {
    const id = this.addon.createQuota(bytesPerSecond);
    return id > 0 ? new BatchQuota(this.addon, id) : undefined;
  }
}

/** A quota in the addon (native/udp-quota.c). */
class BatchQuota implements ForwardingQuota {
  #closed = false;

  constructor(
    readonly addon: UdpBatchAddon,
    readonly id: number,
  ) {}

  take(direction: 'to-peer' | 'to-client', bytes: number): boolean {
    return !this.#closed && this.addon.takeQuota(this.id, direction === 'to-peer' ? 0 : 1, bytes) === 1;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.addon.deleteQuota(this.id);
  }
}
