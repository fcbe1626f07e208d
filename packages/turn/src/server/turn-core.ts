import type { Clock, Endpoint, Family, ForwardingQuota, Logger, Network, UdpSocket } from '@natkit/net';
import type { AttributeSpec } from '@natkit/stun';
import type { Authenticator } from '../auth/authenticate.js';
import type { SourceRateLimiter } from '../auth/rate-limit.js';
import type { Allocation } from '../allocation/allocation.js';
import { AllocationTable } from '../allocation/allocation-table.js';
import { ByteBucket } from '../allocation/bandwidth.js';
import type { PeerFilter } from '../allocation/peer-filter.js';
import { Reservations } from '../allocation/reservations.js';
import { ResponseCache } from '../allocation/response-cache.js';
import { RESPONSE_CACHE_S } from '../allocation/lifetimes.js';
import { ChannelOffload } from './channel-offload.js';
import type { ClientContext } from './client-transport.js';
import type { RelayPortRange } from './relay-ports.js';
import { TurnCounters } from './server-stats.js';

/** A per-direction byte bucket of an allocation (`ByteBucket`, or the fast path's shared quota). */
export interface BandwidthBucket {
  take(n: number, now: number): boolean;
}

/** How the server reaches the client of an allocation, and its bandwidth buckets. */
export interface ClientLink {
  readonly ctx: ClientContext;
  /** Stream transports pad ChannelData to 4 bytes. RFC 8656 §12.5 */
  readonly stream: boolean;
  readonly toPeer: BandwidthBucket;
  readonly toClient: BandwidthBucket;
  /** With a bandwidth quota and the fast path: the buckets above live in the addon, shared with its routes. */
  readonly quota?: ForwardingQuota;
}

/** Settings resolved from the options, used on every request. */
export interface CoreSettings {
  readonly maxLifetimeS: number;
  readonly bandwidth: number;
  /** Relay bind address per family (undefined: follow the client's path). */
  readonly relayAddress: ReadonlyMap<Family, string>;
  readonly advertised: ReadonlyMap<Family, string>;
  /** Accept ChannelBind numbers up to 0x7FFF (RFC 5766 §11) as well. */
  readonly legacyChannelNumbers: boolean;
  /** SOFTWARE, for success responses. */
  readonly software: AttributeSpec | undefined;
}

/** Most cached responses (retransmissions) kept server-wide. */
const RESPONSE_CACHE_ENTRIES = 16_384;
/** Most EVEN-PORT reservations held at once. */
const MAX_RESERVATIONS = 1024;

/**
 * The server's state, shared by the request handlers: allocations, the client links, caches,
 * auth and policy. Only the handlers and the server factory use it.
 */
export class TurnCore {
  readonly table: AllocationTable<UdpSocket>;
  readonly links = new Map<string, ClientLink>();
  readonly reservations = new Reservations<UdpSocket>(MAX_RESERVATIONS);
  readonly responses = new ResponseCache(RESPONSE_CACHE_ENTRIES, RESPONSE_CACHE_S * 1000);
  readonly counters = new TurnCounters();
  /** The sockets' ChannelData fast path, kept equal to this state. */
  readonly offload: ChannelOffload;
  /** The attached UDP socket listening on `local` (set by the server: its UDP attachments). */
  udpListenerFor: (local: Endpoint) => UdpSocket | undefined = () => undefined;
  closed = false;

  constructor(
    readonly network: Network,
    readonly clock: Clock,
    readonly logger: Logger,
    readonly random: (n: number) => Uint8Array,
    readonly auth: Authenticator,
    readonly limiter: SourceRateLimiter,
    public filter: PeerFilter,
    readonly ports: RelayPortRange,
    readonly settings: CoreSettings,
    quotas: ConstructorParameters<typeof AllocationTable>[0],
  ) {
    this.table = new AllocationTable<UdpSocket>(quotas);
    this.offload = new ChannelOffload(clock, settings.bandwidth, (local) => this.udpListenerFor(local), (key) => this.links.get(key)?.quota);
  }

  /** A new client link for an allocation made over `ctx`. */
  link(ctx: ClientContext): ClientLink {
    const quota = this.offload.quotaFor(ctx);
    if (quota !== undefined) {
      return { ctx, stream: false, toPeer: { take: (n) => quota.take('to-peer', n) }, toClient: { take: (n) => quota.take('to-client', n) }, quota };
    }
    return {
      ctx,
      stream: ctx.transport !== 'udp',
      toPeer: new ByteBucket(this.settings.bandwidth),
      toClient: new ByteBucket(this.settings.bandwidth),
    };
  }

  /** Forgets an allocation's client link (and frees its fast-path quota). */
  dropLink(key: string): void {
    this.links.get(key)?.quota?.close();
    this.links.delete(key);
  }

  /** Deletes an allocation and closes its relay sockets (idempotent). */
  deleteAllocation(key: string, why: string): void {
    const a = this.table.delete(key);
    this.dropLink(key);
    if (a === undefined) return;
    this.counters.allocationsDeleted++;
    this.closeRelays(a);
    this.logger.debug('allocation deleted', { why, relayed: [...a.relays.values()].map((r) => r.relayed.port) });
  }

  closeRelays(a: Allocation<UdpSocket>): void {
    this.offload.forget(a); // before the relay sockets close: their routes go, their counters are kept
    for (const r of a.relays.values()) void this.ports.close(r.handle).catch(() => undefined);
  }

  /** Periodic work: expired allocations, permissions, channels, reservations, cache entries. */
  sweep(now: number): void {
    for (const a of this.table.expire(now)) {
      this.dropLink(a.key);
      this.counters.allocationsDeleted++;
      this.closeRelays(a);
    }
    for (const s of this.reservations.expire(now)) void this.ports.close(s).catch(() => undefined);
    this.responses.sweep(now);
    this.offload.sweep(now);
  }
}
