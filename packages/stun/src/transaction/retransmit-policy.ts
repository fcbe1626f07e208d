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

/** RFC 8489 §6.2.1 defaults. */
export const RFC8489_POLICY: RetransmitPolicy = { rtoMs: 500, rc: 7, rm: 16 };

/** The offsets (ms from the first send) of every transmission, and of the final give-up. */
export function planTransmissions(policy: RetransmitPolicy): { sends: number[]; giveUpAt: number } {
  const rc = Math.max(1, Math.min(64, Math.floor(policy.rc)));
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
