/**
 * Birthday-paradox arithmetic (research note §2.4). One side has `sockets` mappings at random,
 * distinct ports among `portSpace`; the other sends `probes` to distinct random ports. A probe
 * that lands on one of the mappings opens the path.
 */

/** P(at least one hit) with distinct probe ports: 1 - C(S-n, k) / C(S, k). */
export function birthdaySuccessProbability(sockets: number, probes: number, portSpace: number): number {
  if (!(portSpace > 0) || sockets <= 0 || probes <= 0) return 0;
  const n = Math.min(sockets, portSpace);
  const k = Math.min(probes, portSpace);
  if (n + k > portSpace) return 1;
  // log of prod_{i<k} (S - n - i) / (S - i)
  let logMiss = 0;
  for (let i = 0; i < k; i++) logMiss += Math.log1p(-n / (portSpace - i));
  return 1 - Math.exp(logMiss);
}

/** The approximation 1 - (1 - n/S)^k of probes drawn with replacement (the calculators' figure). */
export function birthdayApproximation(sockets: number, probes: number, portSpace: number): number {
  if (!(portSpace > 0) || sockets <= 0 || probes <= 0) return 0;
  return 1 - Math.pow(1 - Math.min(1, sockets / portSpace), probes);
}

/** The fewest distinct probes that reach `target` against `sockets` mappings; Infinity if none can. */
export function birthdayProbesFor(sockets: number, target: number, portSpace: number): number {
  if (sockets <= 0 || !(target > 0) || target >= 1 || !(portSpace > 0)) return target <= 0 ? 0 : Infinity;
  let logMiss = 0;
  const goal = Math.log(1 - target);
  for (let k = 0; k < portSpace - sockets; k++) {
    logMiss += Math.log1p(-sockets / (portSpace - k));
    if (logMiss <= goal) return k + 1;
  }
  return portSpace - sockets;
}

/**
 * Both sides endpoint-dependent with random ports: each probe must match an exact (source port,
 * destination port) pair, P ≈ 1 - e^(-x²/S²) with x probes per side (research note §2.4).
 */
export function doubleRandomProbability(probesPerSide: number, portSpace: number): number {
  if (!(portSpace > 0) || probesPerSide <= 0) return 0;
  return 1 - Math.exp(-(probesPerSide * probesPerSide) / (portSpace * portSpace));
}
