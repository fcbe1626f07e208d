import type { FastPathStats } from './channel-offload.js';

/** Why the server dropped something: counted, never thrown. */
export type TurnDropReason =
  | 'malformed'
  | 'bad-fingerprint'
  | 'not-a-request'
  | 'rate-limited'
  | 'no-allocation'
  | 'unbound-channel'
  | 'no-permission'
  | 'peer-denied'
  | 'peer-family'
  | 'bad-indication'
  | 'bandwidth'
  | 'retransmission-pending';

/** A snapshot of the server's counters. */
export interface TurnServerStats {
  readonly allocations: number;
  readonly pendingAllocations: number;
  readonly reservations: number;
  /** Sources the 401/438 rate limiter tracks (bounded). */
  readonly limitedSources: number;
  /** Cached responses kept for retransmissions (bounded). */
  readonly cachedResponses: number;
  readonly requests: number;
  readonly responses: Readonly<Record<string, number>>;
  readonly drops: Readonly<Record<string, number>>;
  /** Relayed packets and payload bytes, the fast path's included. */
  readonly packetsToPeers: number;
  readonly packetsToClients: number;
  readonly bytesToPeers: number;
  readonly bytesToClients: number;
  /** What the sockets' ChannelData fast path relayed (a part of the totals above), its drops, its routes now. */
  readonly fastPath: FastPathStats;
  readonly allocationsCreated: number;
  readonly allocationsDeleted: number;
  /** Authenticated requests signed with MESSAGE-INTEGRITY-SHA256, and those naming the user by USERHASH. */
  readonly integritySha256: number;
  readonly userhash: number;
}

/** Mutable counters behind `TurnServer.stats()`. */
export class TurnCounters {
  requests = 0;
  packetsToPeers = 0;
  packetsToClients = 0;
  bytesToPeers = 0;
  bytesToClients = 0;
  allocationsCreated = 0;
  allocationsDeleted = 0;
  integritySha256 = 0;
  userhash = 0;
  readonly responses = new Map<string, number>();
  readonly drops = new Map<TurnDropReason, number>();

  drop(reason: TurnDropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  response(code: number | 'success'): void {
    const k = String(code);
    this.responses.set(k, (this.responses.get(k) ?? 0) + 1);
  }

  snapshot(
    gauges: { allocations: number; pendingAllocations: number; reservations: number; limitedSources: number; cachedResponses: number },
    fast: FastPathStats,
  ): TurnServerStats {
    return {
      ...gauges,
      requests: this.requests,
      responses: Object.fromEntries(this.responses),
      drops: Object.fromEntries(this.drops),
      packetsToPeers: this.packetsToPeers + fast.packetsToPeers,
      packetsToClients: this.packetsToClients + fast.packetsToClients,
      bytesToPeers: this.bytesToPeers + fast.bytesToPeers,
      bytesToClients: this.bytesToClients + fast.bytesToClients,
      fastPath: fast,
      allocationsCreated: this.allocationsCreated,
      allocationsDeleted: this.allocationsDeleted,
      integritySha256: this.integritySha256,
      userhash: this.userhash,
    };
  }
}
