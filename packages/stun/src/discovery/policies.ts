import type { RetransmitPolicy } from '../transaction/retransmit-policy.js';

/** Timeouts of one diagnosis, derived from the first measured round-trip time. */
export interface DiscoveryPolicies {
  /** Tests whose answer is expected: retransmit with backoff until one arrives. */
  readonly positive: RetransmitPolicy;
  /**
   * Tests whose silence is the evidence (filtering, hairpinning): a constant interval, every
   * transmission sent, so that one lost packet is not read as "filtered".
   */
  readonly negative: RetransmitPolicy;
}

/** RTO bounds for adaptive timeouts, ms. */
const MIN_RTO_MS = 40;
const MAX_RTO_MS = 500;

/**
 * The first contact: before any RTT is known. Sends at 0, t/19, 3t/19, 7t/19, 15t/19 and gives up
 * at `timeoutMs` (RFC 8489 §6.2.1 with Rc = 5, Rm = 4).
 */
export function planInitialPolicy(timeoutMs: number): RetransmitPolicy {
  const rto = Math.max(10, Math.floor(timeoutMs / 19));
  return { rtoMs: rto, rc: 5, rm: 4 };
}

/** Bounds of the interval between the transmissions of a test whose silence is the evidence, ms. */
const MIN_SILENCE_INTERVAL_MS = 30;
const MAX_SILENCE_INTERVAL_MS = 300;

/**
 * Timeouts that adapt to the measured RTT.
 * - Answers expected: RTO = 3 x RTT + 25 ms within [40, 500] ms, doubling, 6 transmissions.
 * - Silence as evidence: 5 transmissions every 1.5 x RTT + 20 ms (within [30, 300] ms), then a
 *   wait of max(2 intervals, 1.5 x RTT), so every transmission's answer has more than an RTT to
 *   come back. On a LAN that is 180 ms; with 10 % loss each way all five pairs fail 2.5e-4 of the
 *   time.
 */
export function planPolicies(rttMs: number): DiscoveryPolicies {
  const rto = Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, Math.ceil(3 * rttMs + 25)));
  const interval = Math.min(MAX_SILENCE_INTERVAL_MS, Math.max(MIN_SILENCE_INTERVAL_MS, Math.ceil(1.5 * rttMs + 20)));
  return {
    positive: { rtoMs: rto, rc: 6, rm: 3, maxRtoMs: rto * 4 },
    // The wait after the last transmission grows past the interval cap on very slow paths, so an
    // answer always has at least 1.5 x RTT to come back.
    negative: { rtoMs: interval, rc: 5, rm: Math.max(2, Math.ceil((1.5 * rttMs) / interval)), backoff: false },
  };
}
