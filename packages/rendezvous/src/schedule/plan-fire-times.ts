/** RTTs above this are treated as this (a stale or absurd sample must not stall a punch). */
export const MAX_SCHEDULED_RTT_MS = 5_000;

export interface FirePlanInput {
  /** The server's RTT to the initiator and to the responder, in ms. */
  readonly initiatorRttMs: number;
  readonly responderRttMs: number;
  /** Added to both delays: time for each side to get its sockets ready. */
  readonly marginMs: number;
}

export interface FirePlan {
  /** How long after receiving `introduce` each side fires (ms, integers). */
  readonly initiatorFireInMs: number;
  readonly responderFireInMs: number;
}

/**
 * When each side fires, DCUtR-style (research note §3.3): both `introduce` messages leave the
 * server together and reach each side after half its RTT, so the side nearer the server waits
 * half the RTT difference longer. Both punches then leave at the same moment, `max(rtt) / 2 +
 * margin` after the server sent.
 */
export function planFireTimes(input: FirePlanInput): FirePlan {
  const a = clampRtt(input.initiatorRttMs);
  const b = clampRtt(input.responderRttMs);
  const margin = Math.max(0, Number.isFinite(input.marginMs) ? input.marginMs : 0);
  const latest = Math.max(a, b);
  return {
    initiatorFireInMs: Math.round((latest - a) / 2 + margin),
    responderFireInMs: Math.round((latest - b) / 2 + margin),
  };
}

function clampRtt(rtt: number): number {
  if (!Number.isFinite(rtt) || rtt < 0) return 0;
  return Math.min(rtt, MAX_SCHEDULED_RTT_MS);
}
