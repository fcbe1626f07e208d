/** What is known of the mapping lifetime so far, in seconds. */
export interface LifetimeKnowledge {
  /** The longest idle time after which a mapping was still alive (0: none yet). */
  readonly aliveAt: number;
  /** The shortest idle time after which a mapping was gone (null: none yet). */
  readonly deadAt: number | null;
}

export interface LifetimePlanOptions {
  readonly maxSeconds: number;
  /** Stop when the bracket is narrower than this many seconds, or 10 % of its lower end. */
  readonly resolutionSeconds?: number;
  /** How many trials one refinement pass runs side by side. */
  readonly parallel?: number;
}

/** Idle times of the first pass: common NAT timers (RFC 4787 REQ-5 asks for at least 120 s). */
const FIRST_PASS_SECONDS = [2, 5, 10, 20, 30, 45, 60, 90, 120, 150, 180, 240, 300, 450, 600, 900, 1200];

/**
 * The idle times to test next, or null when done (RFC 5780 §4.6). The first pass tries the usual
 * timer values side by side, one fresh mapping each; later passes split the bracket between the
 * last "alive" and the first "dead" into equal parts: a parallel binary search.
 */
export function planLifetimeTrials(k: LifetimeKnowledge, options: LifetimePlanOptions): number[] | null {
  const max = options.maxSeconds;
  if (k.deadAt === null) {
    if (k.aliveAt >= max) return null;
    const grid = FIRST_PASS_SECONDS.filter((t) => t > k.aliveAt && t < max);
    return [...grid, max];
  }
  const width = k.deadAt - k.aliveAt;
  const resolution = Math.max(options.resolutionSeconds ?? 1, k.aliveAt * 0.1);
  if (width <= resolution) return null;
  const parts = Math.max(1, options.parallel ?? 3) + 1;
  const points: number[] = [];
  for (let i = 1; i < parts; i++) {
    const t = Math.round((k.aliveAt + (width * i) / parts) * 10) / 10;
    if (t > k.aliveAt && t < k.deadAt && !points.includes(t)) points.push(t);
  }
  return points.length === 0 ? null : points;
}

/** Folds one pass's outcomes (idle time, alive?) into the knowledge. */
export function updateLifetimeKnowledge(k: LifetimeKnowledge, trials: readonly { seconds: number; alive: boolean }[]): LifetimeKnowledge {
  let aliveAt = k.aliveAt;
  let deadAt = k.deadAt;
  for (const t of trials) {
    if (t.alive) aliveAt = Math.max(aliveAt, t.seconds);
    else deadAt = deadAt === null ? t.seconds : Math.min(deadAt, t.seconds);
  }
  // A NAT may not be monotonic under load; keep the bracket consistent.
  if (deadAt !== null && aliveAt >= deadAt) aliveAt = Math.max(0, deadAt - Math.min(1, deadAt));
  return { aliveAt, deadAt };
}
