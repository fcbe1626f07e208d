import type { RateLimit } from './token-bucket.js';

/** Limits the server enforces; every one has a default (DEFAULT_LIMITS). */
export interface RendezvousLimits {
  /** Concurrent WebSocket connections from one IP (IPv6: one /64). */
  readonly connectionsPerIp: number;
  /** Registrations from one IP, and of one peer id. */
  readonly registrationsPerIp: RateLimit;
  readonly registrationsPerPeer: RateLimit;
  /** Connect requests from one IP, and from one peer. */
  readonly connectsPerIp: RateLimit;
  readonly connectsPerPeer: RateLimit;
  /** Messages of any kind on one connection. */
  readonly messagesPerConnection: RateLimit;
  /** Bytes queued towards one client before it is dropped as a slow reader. */
  readonly maxBufferedBytes: number;
  /** Keys each per-IP or per-peer limiter remembers at most. */
  readonly maxLimiterKeys: number;
  /** Concurrent connections in all. */
  readonly maxConnections: number;
  /** `verify-address` requests of one peer. */
  readonly verificationsPerPeer: RateLimit;
  /** Live address tokens in all (one per session at most); the oldest is dropped past it. */
  readonly maxAddressTokens: number;
}

export const DEFAULT_LIMITS: RendezvousLimits = {
  connectionsPerIp: 64,
  registrationsPerIp: { burst: 30, perSecond: 5 },
  registrationsPerPeer: { burst: 5, perSecond: 0.5 },
  connectsPerIp: { burst: 100, perSecond: 50 },
  connectsPerPeer: { burst: 20, perSecond: 10 },
  messagesPerConnection: { burst: 100, perSecond: 50 },
  maxBufferedBytes: 256 * 1024,
  maxLimiterKeys: 100_000,
  maxConnections: 200_000,
  verificationsPerPeer: { burst: 5, perSecond: 0.2 },
  maxAddressTokens: 10_000,
};

export interface RendezvousServerOptions {
  /** Only upgrades on this path are served; default `/rendezvous`. */
  readonly path?: string;
  readonly limits?: Partial<RendezvousLimits>;
  /** Time from `hello` to a valid `register` (default 10 s). */
  readonly registerWithinMs?: number;
  /** Ping interval (default 15 s); a connection silent for 2.5 intervals is closed. */
  readonly heartbeatMs?: number;
  /** A registration lapses this long after the last pong (default 45 s). */
  readonly presenceTtlMs?: number;
  /** How long an RTT probe before an introduction may take (default 2 s). */
  readonly rttProbeTimeoutMs?: number;
  /** An RTT sample younger than this is used as is, without a new probe (default 2 s). */
  readonly rttMaxAgeMs?: number;
  /** Added to both fire delays (default 10 ms). */
  readonly fireMarginMs?: number;
  /** Resolution of registration deadlines and heartbeats (default 1 s). */
  readonly tickMs?: number;
  /** Names the process in session ids (several processes share one store later). */
  readonly nodeId?: string;
  /** Lifetime of an address token (default 10 s). */
  readonly addressTokenTtlMs?: number;
}

export interface ResolvedOptions {
  readonly path: string;
  readonly limits: RendezvousLimits;
  readonly registerWithinMs: number;
  readonly heartbeatMs: number;
  readonly presenceTtlMs: number;
  readonly rttProbeTimeoutMs: number;
  readonly rttMaxAgeMs: number;
  readonly fireMarginMs: number;
  readonly tickMs: number;
  readonly nodeId: string;
  readonly addressTokenTtlMs: number;
}

export const RENDEZVOUS_PATH = '/rendezvous';

export function resolveOptions(options: RendezvousServerOptions): ResolvedOptions {
  return {
    path: options.path ?? RENDEZVOUS_PATH,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    registerWithinMs: options.registerWithinMs ?? 10_000,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    presenceTtlMs: options.presenceTtlMs ?? 45_000,
    rttProbeTimeoutMs: options.rttProbeTimeoutMs ?? 2_000,
    rttMaxAgeMs: options.rttMaxAgeMs ?? 2_000,
    fireMarginMs: options.fireMarginMs ?? 10,
    tickMs: options.tickMs ?? 1_000,
    nodeId: options.nodeId ?? 'n0',
    addressTokenTtlMs: options.addressTokenTtlMs ?? 10_000,
  };
}
