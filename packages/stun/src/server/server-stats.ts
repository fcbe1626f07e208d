import type { UdpSocket } from '@natkit/net';
import type { ServerDropReason } from './handle-binding-request.js';

/** Counters of a running server. */
export interface StunServerStats {
  /** Datagrams received on any socket. */
  readonly received: number;
  /** Responses handed to a socket (success and error). */
  readonly responded: number;
  /** Error responses by code (400, 420), included in `responded`. */
  readonly errorResponses: Readonly<Record<number, number>>;
  /** Datagrams that got no response, by reason. */
  readonly dropped: Readonly<Record<ServerDropReason, number>>;
  /** Send failures the sockets reported (unreachable clients, closed sockets). */
  readonly sendErrors: number;
  /**
   * Responses the sockets dropped because their send queue was full (a congested uplink: an
   * answer that would wait longer is worthless), not included in `sendErrors`.
   */
  readonly sendQueueDrops: number;
  /** Milliseconds since start, on the injected clock. */
  readonly uptimeMs: number;
}

const DROP_REASONS: readonly ServerDropReason[] = [
  'not-stun',
  'malformed',
  'indication',
  'response',
  'unsupported-method',
  'bad-fingerprint',
  'bad-address',
];

/** Mutable counters behind `stats()`. */
export class ServerCounters {
  received = 0;
  responded = 0;
  sendErrors = 0;
  /** Send-queue drops of sockets no longer served. */
  sendQueueDropsGone = 0;
  readonly errorResponses = new Map<number, number>();
  readonly dropped = new Map<ServerDropReason, number>(DROP_REASONS.map((r) => [r, 0]));

  drop(reason: ServerDropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  errorResponse(code: number): void {
    this.errorResponses.set(code, (this.errorResponses.get(code) ?? 0) + 1);
  }

  /** The counters, with the send-queue drops of `sockets` (those served now) added. */
  snapshot(uptimeMs: number, sockets: readonly UdpSocket[]): StunServerStats {
    const sendQueueDrops = sockets.reduce((n, s) => n + (s.stats?.().sendQueueDrops ?? 0), this.sendQueueDropsGone);
    return {
      received: this.received,
      responded: this.responded,
      errorResponses: Object.fromEntries(this.errorResponses),
      dropped: Object.fromEntries(this.dropped) as Record<ServerDropReason, number>,
      sendErrors: this.sendErrors,
      sendQueueDrops,
      uptimeMs,
    };
  }
}
