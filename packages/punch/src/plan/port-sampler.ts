/**
 * Seeded choice of distinct ports for birthday probes (xorshift32 + a partial Fisher-Yates
 * shuffle), so that a planner stays a pure function of its inputs and a seed.
 */
export function sampleDistinctPorts(count: number, range: readonly [number, number], seed: number): number[] {
  const [lo, hi] = range;
  const size = hi - lo + 1;
  const k = Math.max(0, Math.min(count, size));
  const pool = new Uint32Array(size);
  for (let i = 0; i < size; i++) pool[i] = lo + i;
  let state = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + (next() % (size - i));
    const picked = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = picked;
    out.push(picked);
  }
  return out;
}

/** `port + step`, wrapped into `range` as allocators do. */
export function wrapPort(port: number, range: readonly [number, number]): number {
  const [lo, hi] = range;
  const size = hi - lo + 1;
  return lo + ((((port - lo) % size) + size) % size);
}
