import type { NatProfile } from '@natkit/rendezvous';

/** What a peer's options may say about connection liveness; every field has a default. */
export interface ConnectionTimingOptions {
  /**
   * The UDP mapping lifetime of our NAT, seconds, when measured (the rendezvous NatProfile's
   * `mappingLifetimeSeconds`); null or absent: unknown, keepalives every 25 s.
   */
  readonly mappingLifetimeSeconds?: number | null;
  /** Overrides the keepalive interval derived from the mapping lifetime, ms. */
  readonly keepaliveMs?: number;
  /** Consent freshness: a direct path without an authenticated answer this long is dead (back to the relay); default 30 s. */
  readonly directTimeoutMs?: number;
  /** First re-probe for a direct path after it died or was not found, ms (default 30 s); doubles after each failure. */
  readonly reprobeMs?: number;
  /** Ceiling of the re-probe backoff, ms; default 5 min. */
  readonly maxReprobeMs?: number;
  /** No authenticated answer on any path (direct or relay) for this long: the connection closes with an error; default 30 s. */
  readonly idleTimeoutMs?: number;
}

/** The resolved timing of one connection, ms. */
export interface ConnectionTiming {
  readonly keepaliveMs: number;
  readonly directTimeoutMs: number;
  readonly reprobeMs: number;
  readonly maxReprobeMs: number;
  readonly idleTimeoutMs: number;
}

/** Keepalive when the mapping lifetime is unknown (below the ~30 s many NATs keep an idle UDP mapping). */
export const DEFAULT_KEEPALIVE_MS = 25_000;
const MIN_KEEPALIVE_MS = 1_000;
/** Consent freshness, RFC 7675 §5.1: 30 s without an answer. */
const DEFAULT_CONSENT_TIMEOUT_MS = 30_000;
const DEFAULT_REPROBE_MS = 30_000;
const DEFAULT_MAX_REPROBE_MS = 300_000;
/** Checks per consent timeout: a path is declared dead only after this many unanswered probes. */
const CHECKS_PER_TIMEOUT = 6;
const MIN_CHECK_MS = 50;
/** The silence before a relayed connection has its allocation checked is never below this (well above the RTTs we relay over). */
const MIN_RELAY_CHECK_MS = 1000;

/**
 * The keepalive interval below a NAT's mapping lifetime: half of it, at least 1 s, at most 25 s
 * (25 s when the lifetime is unknown).
 */
export function keepaliveIntervalMs(mappingLifetimeSeconds: number | null | undefined): number {
  if (mappingLifetimeSeconds === null || mappingLifetimeSeconds === undefined || !Number.isFinite(mappingLifetimeSeconds) || mappingLifetimeSeconds <= 0) return DEFAULT_KEEPALIVE_MS;
  return Math.round(Math.min(DEFAULT_KEEPALIVE_MS, Math.max(MIN_KEEPALIVE_MS, mappingLifetimeSeconds * 500)));
}

/**
 * Our NAT's mapping lifetime from its profile (the shorter of the families that measured one),
 * for `mappingLifetimeSeconds`; null when none was measured (a lifetime of 0 counts as unknown).
 */
export function mappingLifetimeOf(profile: NatProfile): number | null {
  const known = [profile.ipv4?.mappingLifetimeSeconds, profile.ipv6?.mappingLifetimeSeconds].filter((s): s is number => typeof s === 'number' && s > 0);
  return known.length === 0 ? null : Math.min(...known);
}

/** The interval of the keepalives to the relay server (RFC 8445 §11): the connections' keepalive interval for our NAT. */
export function relayKeepaliveMs(nat: NatProfile, options: ConnectionTimingOptions): number {
  return resolveConnectionTiming({ mappingLifetimeSeconds: mappingLifetimeOf(nat), ...options }).keepaliveMs;
}

function positive(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

export function resolveConnectionTiming(options: ConnectionTimingOptions): ConnectionTiming {
  const reprobeMs = positive(options.reprobeMs, DEFAULT_REPROBE_MS);
  return {
    keepaliveMs: positive(options.keepaliveMs, keepaliveIntervalMs(options.mappingLifetimeSeconds)),
    directTimeoutMs: positive(options.directTimeoutMs, DEFAULT_CONSENT_TIMEOUT_MS),
    reprobeMs,
    maxReprobeMs: Math.max(reprobeMs, positive(options.maxReprobeMs, DEFAULT_MAX_REPROBE_MS)),
    idleTimeoutMs: positive(options.idleTimeoutMs, DEFAULT_CONSENT_TIMEOUT_MS),
  };
}

/**
 * How often a connection probes its paths: the keepalive interval, or more often when consent
 * needs it (several checks per timeout, so one lost probe never kills a path).
 */
export function checkIntervalMs(timing: ConnectionTiming): number {
  return Math.max(MIN_CHECK_MS, Math.min(timing.keepaliveMs, timing.directTimeoutMs / CHECKS_PER_TIMEOUT, timing.idleTimeoutMs / CHECKS_PER_TIMEOUT));
}

/**
 * How long a connection sending through our own allocation may hear nothing from its peer before
 * it has the allocation checked (our NAT may have rebound): half a check interval, at least 1 s;
 * 2.5 s by default. The peer answers a consent probe every check interval within one RTT, and
 * traffic both ways hears it far more often, so half an interval of silence while sending is
 * already suspect; it leaves most of `idleTimeoutMs` (30 s) for the re-allocation, where the
 * relay keepalive alone (25 s) would find the rebinding just before the connection closes.
 */
export function relayCheckAfterMs(timing: ConnectionTiming): number {
  return Math.max(MIN_RELAY_CHECK_MS, checkIntervalMs(timing) / 2);
}

/**
 * After an upgrade, data keeps taking the relay for twice its RTT (within these bounds), so that
 * what is still in flight there arrives before the first datagram on the faster direct path.
 */
const SWITCH_HOLD_MIN_MS = 10;
const SWITCH_HOLD_MAX_MS = 250;

/** How long data keeps taking the relay after an upgrade to a direct path (`relayRttMs`: null when unknown). */
export function switchHoldMs(relayRttMs: number | null): number {
  return Math.min(SWITCH_HOLD_MAX_MS, Math.max(SWITCH_HOLD_MIN_MS, 2 * (relayRttMs ?? SWITCH_HOLD_MAX_MS)));
}

/**
 * Another address of the peer answered while the direct one in use stays silent: the wait before
 * moving there (NAT rebinding), four RTTs within 200 ms to 1 s.
 */
export function rebindWaitMs(rttMs: number): number {
  return Math.min(1000, Math.max(200, 4 * rttMs));
}
