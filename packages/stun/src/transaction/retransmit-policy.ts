import { describeValue, numberProblem } from '@natkit/net';
import { StunError } from '../errors.js';

/**
 * When to retransmit a request over UDP, and when to give up.
 *
 * RFC 8489 §6.2.1: the client retransmits after RTO, then doubles the interval each time, sends at
 * most Rc times, and after the last send waits Rm times RTO for an answer. The RFC defaults
 * (RTO 500 ms, Rc 7, Rm 16) give up after 39.5 s: far too slow for an interactive diagnosis, so every
 * caller picks its own values; `maxRtoMs` caps the doubling.
 */
export interface RetransmitPolicy {
  /** Initial retransmission timeout, ms (RFC 8489 §6.2.1 "RTO"). */
  readonly rtoMs: number;
  /** Total number of transmissions, the first included (RFC 8489 §6.2.1 "Rc"). */
  readonly rc: number;
  /** After the last transmission, wait `rm * interval` for the answer (RFC 8489 §6.2.1 "Rm"). */
  readonly rm: number;
  /** Upper bound of the doubled interval, ms. */
  readonly maxRtoMs?: number;
  /** `false` keeps the interval constant instead of doubling it. Default true. */
  readonly backoff?: boolean;
}

/** Bounds of every field of a policy (an hour of RTO is already far beyond any use). */
const LIMITS = {
  rtoMs: { min: Number.MIN_VALUE, max: 3_600_000 },
  rc: { min: 1, max: 64, integer: true },
  rm: { min: 0, max: 1000 },
} as const;

/**
 * Throws StunError `ERR_BAD_OPTION` unless every field is a finite number in range: RTO in
 * (0, 1 h], Rc an integer in 1-64, Rm in 0-1000, `maxRtoMs` above 0 (Infinity: no cap).
 */
export function checkRetransmitPolicy(policy: RetransmitPolicy): void {
  if (typeof policy !== 'object' || policy === null) throw new StunError('ERR_BAD_OPTION', 'a retransmit policy must be an object');
  for (const key of ['rtoMs', 'rc', 'rm'] as const) {
    const bad = numberProblem(policy[key], LIMITS[key]);
    if (bad !== undefined) throw new StunError('ERR_BAD_OPTION', `retransmit policy ${key} ${bad}`);
  }
  const cap: unknown = policy.maxRtoMs;
  if (cap !== undefined && !(typeof cap === 'number' && cap > 0)) {
    throw new StunError('ERR_BAD_OPTION', `retransmit policy maxRtoMs must be a number above 0, not ${describeValue(cap)}`);
  }
  const backoff: unknown = policy.backoff;
  if (backoff !== undefined && typeof backoff !== 'boolean') throw new StunError('ERR_BAD_OPTION', 'retransmit policy backoff must be a boolean');
}

/** RFC 8489 §6.2.1 defaults. */
export const RFC8489_POLICY: RetransmitPolicy = { rtoMs: 500, rc: 7, rm: 16 };

/**
 * The offsets (ms from the first send) of every transmission, and of the final give-up.
 * Throws StunError `ERR_BAD_OPTION` for a policy `checkRetransmitPolicy` refuses.
 */
export function planTransmissions(policy: RetransmitPolicy): { sends: number[]; giveUpAt: number } {
  checkRetransmitPolicy(policy);
  const rc = policy.rc;
  const cap = policy.maxRtoMs ?? Number.POSITIVE_INFINITY;
  const sends: number[] = [];
  let at = 0;
  let interval = Math.max(1, policy.rtoMs);
  for (let i = 0; i < rc; i++) {
    sends.push(at);
    if (i < rc - 1) {
      at += interval;
      if (policy.backoff !== false) interval = Math.min(interval * 2, cap);
    }
  }
  const lastInterval = policy.backoff === false ? policy.rtoMs : Math.min(policy.rtoMs * 2 ** (rc - 1), cap);
  // RFC 8489 §6.2.1: after the last send, wait Rm times the initial RTO (16 x 500 ms by default).
  const giveUpAt = at + Math.max(1, policy.rm) * Math.min(policy.rtoMs, lastInterval);
  return { sends, giveUpAt };
}

/** The total time a transaction may take under a policy. */
export function transactionBudgetMs(policy: RetransmitPolicy): number {
  return planTransmissions(policy).giveUpAt;
}
