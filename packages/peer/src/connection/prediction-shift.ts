import type { Endpoint, Family } from '@natkit/net';
import type { Candidate, NatProfile } from '@natkit/rendezvous';
import type { DirectPathFinder } from './direct-path-finder.js';
import { latestMapping, type NatMeasureDeps } from './nat-measurement.js';

/** The planner ignores a larger shift (see PeerDescription.allocationsSinceSrflx). */
const MAX_SHIFT = 64;

/** Our NAT's allocations since the base we announced: the other side's predictions of us are off by that many. */
export interface PredictionShift {
  /** The latest allocation now (announce it as the new base). */
  readonly base: Endpoint;
  /** Allocations between the announced base and `base`, in steps of the NAT (0 when unknown). */
  readonly shift: number;
}

/**
 * Samples our sequential NAT's latest allocation (a fresh socket's STUN Binding) when a peer is
 * introduced, and counts the allocations since the server-reflexive base we announced: other
 * hosts and processes behind the same NAT, or our own traffic, move its counter between
 * connections, so the peer's predictions of our ports start that many steps too early. The peer
 * sends its j-th probe to base + j from its own j-th port; we cannot take those ports any more,
 * so we shift our targets by the same count: our j-th port (base + shift + j) then meets the
 * peer's (shift + j)-th probe, inside its window.
 */
export async function samplePredictionShift(server: Endpoint, family: Family, nat: NatProfile, announced: readonly Candidate[], deps: NatMeasureDeps): Promise<PredictionShift | null> {
  const base = await latestMapping(server, family, deps);
  if (base === null) return null;
  const old = announced.find((c) => c.type === 'srflx' && c.address === base.address);
  const profile = family === 4 ? nat.ipv4 : nat.ipv6;
  const step = profile?.allocation.step ?? null;
  if (old === undefined || step === null || step === 0) return { base, shift: 0 };
  return { base, shift: allocationsBetween(old.port, base.port, step) };
}

/** Steps of `step` (may be negative) from port `from` to port `to` (ports wrap at 65536), 0 when not a whole number in 0..MAX_SHIFT. */
export function allocationsBetween(from: number, to: number, step: number): number {
  const delta = ((((step > 0 ? to - from : from - to)) % 65_536) + 65_536) % 65_536;
  const n = delta / Math.abs(step);
  return Number.isInteger(n) && n <= MAX_SHIFT ? n : 0;
}

/**
 * A finder whose attempts wait for `ready` (the plan that needs the shift); its strategy and
 * reason are the provisional plan's (the shift changes the targets, not the strategy). An attempt
 * whose fire time passed while waiting fires at once.
 */
export function deferredFinder(provisional: DirectPathFinder, ready: Promise<DirectPathFinder>): DirectPathFinder {
  return {
    strategy: provisional.strategy,
    ...(provisional.reason === undefined ? {} : { reason: provisional.reason }),
    start(attempt, clock) {
      let stopped = false;
      let stop: (() => void) | null = null;
      void ready.then((finder) => {
        if (!stopped) stop = finder.start({ ...attempt, fireAt: Math.max(attempt.fireAt, clock.now()) }, clock);
      });
      return () => {
        stopped = true;
        stop?.();
      };
    },
  };
}
