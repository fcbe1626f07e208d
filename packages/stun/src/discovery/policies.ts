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

/** Timeouts that adapt to the measured RTT: RTO = 3 x RTT + 25 ms, within [40, 500] ms. */
export function planPolicies(rttMs: number): DiscoveryPolicies {
  const rto = Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, Math.ceil(3 * rttMs + 25)));
  return {
    positive: { rtoMs: rto, rc: 6, rm: 3, maxRtoMs: rto * 4 },
    negative: { rtoMs: rto, rc: 6, rm: 3, backoff: false },
  };
}
