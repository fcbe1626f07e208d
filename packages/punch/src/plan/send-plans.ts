import type { Endpoint } from '@natkit/net';
import { sampleDistinctPorts, wrapPort } from './port-sampler.js';
import type { PunchLimits, SendPlan } from './types.js';

/** Pause between probes of the exact-address strategies, and between their rounds. */
export const EXACT_INTERVAL_MS = 20;
export const EXACT_ROUND_INTERVAL_MS = 250;
/** How long the deterministic strategies try (a lost probe is resent each round). */
export const EXACT_DURATION_MS = 5_000;
/** Birthday: the sockets side sends a round every 2 s, 2 ms apart; the prober paces at 100 pps. */
export const BIRTHDAY_SOCKET_INTERVAL_MS = 2;
export const BIRTHDAY_ROUND_INTERVAL_MS = 2_000;
export const BIRTHDAY_PROBE_RATE_PPS = 100;
/** Time past the last scheduled probe for answers to come back. */
export const BIRTHDAY_GRACE_MS = 2_000;
/** Datagrams kept for answers, triggered probes and nominations. */
export const ANSWER_RESERVE = 256;

export const NO_SENDS: SendPlan = { extraSockets: 0, targets: [], from: 'primary', intervalMs: 0, rounds: 0, roundIntervalMs: 0 };

/** Exact targets resent every round for `durationMs`. */
export function exactSends(targets: readonly Endpoint[], durationMs: number, limits: PunchLimits): SendPlan {
  const unique = dedupe(targets);
  const intervalMs = Math.max(EXACT_INTERVAL_MS, Math.ceil(1000 / limits.maxRatePps));
  const roundIntervalMs = Math.max(EXACT_ROUND_INTERVAL_MS, unique.length * intervalMs);
  const budget = Math.max(1, limits.maxProbes - ANSWER_RESERVE);
  const rounds = fitRounds(durationMs, unique.length * intervalMs, roundIntervalMs, Math.floor(budget / Math.max(1, unique.length)));
  return { extraSockets: 0, targets: unique, from: 'primary', intervalMs, rounds, roundIntervalMs };
}

/** The ports a predictable NAT will hand out next: `base + step * j`, j = 1..window (quiet NAT: j = 1 first). */
export function predictedTargets(address: string, base: number, step: number, window: number, range: readonly [number, number]): Endpoint[] {
  const out: Endpoint[] = [];
  for (let j = 1; j <= window; j++) out.push({ address, port: wrapPort(base + step * j, range) });
  return out;
}

/** The random side of a birthday attempt: `sockets` extra sockets, each sending to `target` every round. */
export function birthdaySocketSends(target: Endpoint, sockets: number, durationMs: number, limits: PunchLimits): SendPlan {
  const perRound = sockets + 1;
  const intervalMs = Math.max(BIRTHDAY_SOCKET_INTERVAL_MS, Math.ceil(1000 / limits.maxRatePps));
  const roundIntervalMs = Math.max(BIRTHDAY_ROUND_INTERVAL_MS, perRound * intervalMs, Math.ceil((perRound * 1000) / limits.maxRatePps));
  const budget = Math.max(1, limits.maxProbes - ANSWER_RESERVE);
  const rounds = fitRounds(durationMs, perRound * intervalMs, roundIntervalMs, Math.floor(budget / perRound));
  return { extraSockets: sockets, targets: [{ address: target.address, port: target.port }], from: 'every-socket', intervalMs, rounds, roundIntervalMs };
}

/** The prober of a birthday attempt: `probes` distinct random ports of `address`, paced, sent once. */
export function birthdayProbeSends(address: string, probes: number, seed: number, limits: PunchLimits): SendPlan {
  const ports = sampleDistinctPorts(probes, limits.portRange, seed);
  const intervalMs = Math.ceil(1000 / Math.min(BIRTHDAY_PROBE_RATE_PPS, limits.maxRatePps));
  return {
    extraSockets: 0,
    targets: ports.map((port) => ({ address, port })),
    from: 'primary',
    intervalMs,
    rounds: 1,
    roundIntervalMs: ports.length * intervalMs,
  };
}

/** Datagrams a send plan schedules in all. */
export function scheduledCount(plan: SendPlan): number {
  const perRound = plan.from === 'every-socket' ? plan.targets.length * (plan.extraSockets + 1) : plan.targets.length;
  return perRound * plan.rounds;
}

/** Rounds whose every send falls within `durationMs` and the budget (at least one). */
function fitRounds(durationMs: number, roundLengthMs: number, roundIntervalMs: number, byBudget: number): number {
  const byTime = Math.floor((durationMs - roundLengthMs) / roundIntervalMs) + 1;
  return Math.max(1, Math.min(byTime, byBudget));
}

function dedupe(targets: readonly Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const t of targets) {
    const key = `${t.address}|${t.port}`;
    if (!seen.has(key)) out.push({ address: t.address, port: t.port });
    seen.add(key);
  }
  return out;
}
