/** A smoothed RTT (RFC 6298 §2: alpha = 1/8) and the latest sample, with when it was taken. */
export interface RttEstimate {
  readonly smoothedMs: number;
  readonly latestMs: number;
  readonly measuredAt: number;
}

/** The estimate after one more sample taken at `now`. */
export function updateRtt(previous: RttEstimate | null, sampleMs: number, now: number): RttEstimate {
  const sample = Math.max(0, sampleMs);
  if (previous === null) return { smoothedMs: sample, latestMs: sample, measuredAt: now };
  return { smoothedMs: previous.smoothedMs + (sample - previous.smoothedMs) / 8, latestMs: sample, measuredAt: now };
}
