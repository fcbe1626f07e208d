import type { PunchPlan } from '../plan/types.js';
import type { PunchResult } from './punch-result.js';
import { startPunch, type PunchAttempt, type PunchComponents, type PunchOptions } from './start-punch.js';

/** Attempts in one series by default: a 0.99 birthday attempt, then at once one more (1 - 0.01² = 0.9999). */
export const DEFAULT_SERIES_ATTEMPTS = 2;
/** No option runs more attempts back to back (the caller's backoff takes over after them). */
export const MAX_SERIES_ATTEMPTS = 4;
/**
 * Time between the planned end of one attempt and the fire time of the next: the random side
 * closes its 256 sockets and opens 256 fresh ones in it (binds in batches of 32).
 */
export const SERIES_GAP_MS = 500;

export interface PunchSeriesOptions extends Omit<PunchOptions, 'plan'> {
  /**
   * The plan of attempt `n` (0, 1, ...): plan again for each one (a new seed), so that the prober
   * draws new ports; the random side opens fresh sockets (new NAT mappings) anyway. Both peers
   * must get plans of the same `durationMs` (mirror plans do): they time the next attempt alike.
   */
  readonly plan: (attempt: number) => PunchPlan;
  /** Attempts at most, back to back (default 2, at most 4). */
  readonly maxAttempts?: number;
  /** Called as each attempt ends (before the next starts), with its result. */
  readonly onAttemptEnd?: (attempt: number, result: PunchResult) => void;
}

/** The result of the last attempt run, and how many ran. */
export type PunchSeriesResult = PunchResult & { readonly attempts: number };

export interface PunchSeries extends Omit<PunchAttempt, 'result'> {
  readonly result: Promise<PunchSeriesResult>;
}

/**
 * True when an attempt that timed out is worth repeating at once: its plan was sized for a
 * probability below 1 (birthday), so a second independent draw (new mappings, new probe ports)
 * succeeds with that probability again. The deterministic strategies fail for a reason a new
 * attempt does not change; they wait for the caller's backoff.
 */
export function isRepeatable(plan: PunchPlan, result: PunchResult): boolean {
  return !result.ok && result.reason === 'timeout' && plan.successProbability > 0 && plan.successProbability < 1;
}

function clampAttempts(n: number): number {
  return Number.isFinite(n) ? Math.max(1, Math.min(MAX_SERIES_ATTEMPTS, Math.floor(n))) : DEFAULT_SERIES_ATTEMPTS;
}

/**
 * The longest a series of `plan` runs from its fire time, if every attempt it repeats times out:
 * `maxAttempts` attempts and the gaps between them for a repeatable (birthday) plan, else one.
 */
export function seriesDurationMs(plan: PunchPlan, maxAttempts: number = DEFAULT_SERIES_ATTEMPTS): number {
  const repeatable = plan.successProbability > 0 && plan.successProbability < 1;
  const n = repeatable ? clampAttempts(maxAttempts) : 1;
  return n * plan.durationMs + (n - 1) * SERIES_GAP_MS;
}

/** 1 - (1 - p)^n: independent attempts of probability `p` each. */
export function seriesSuccessProbability(p: number, attempts: number): number {
  if (!(p > 0) || !(attempts >= 1)) return 0;
  return 1 - Math.pow(1 - Math.min(1, p), Math.floor(attempts));
}

/**
 * Runs `startPunch` attempts back to back, at most `maxAttempts`: a repeatable attempt (see
 * isRepeatable) that timed out is followed at once by the next, fired at the previous fire time
 * plus its duration plus SERIES_GAP_MS, which both peers compute alike without a message. One
 * attempt runs at a time: the engine closes an attempt's extra sockets before its result comes,
 * so a series never holds more than one attempt's sockets.
 */
export function startPunchSeries(options: PunchSeriesOptions, components: PunchComponents): PunchSeries {
  const max = clampAttempts(options.maxAttempts ?? DEFAULT_SERIES_ATTEMPTS);
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) abort.abort();
  let current: PunchAttempt | null = null;
  const run = async (): Promise<PunchSeriesResult> => {
    let fireAt = options.fireAt;
    for (let n = 0; ; n++) {
      const plan = options.plan(n);
      current = startPunch({ ...options, plan, fireAt, signal: abort.signal }, components);
      const result = await current.result;
      options.onAttemptEnd?.(n, result);
      if (n + 1 >= max || abort.signal.aborted || !isRepeatable(plan, result)) return { ...result, attempts: n + 1 };
      fireAt += plan.durationMs + SERIES_GAP_MS;
    }
  };
  const result = run().finally(() => options.signal?.removeEventListener('abort', onAbort));
  return {
    result,
    stats: () => current?.stats() ?? { sent: 0, received: 0, dropped: 0, confirmedPairs: 0, extraSockets: 0 },
    abort: () => abort.abort(),
  };
}
