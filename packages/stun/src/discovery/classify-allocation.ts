import type { PortAllocation } from './types.js';

/** One new mapping: the local port of the socket, the external port seen, and the send order. */
export interface AllocationSample {
  readonly localPort: number;
  readonly mappedPort: number;
  /** A sequence number: the order in which the packet that created this mapping was sent. */
  readonly order: number;
  /** This is the socket's first mapping (so its port can be compared with the local port). */
  readonly firstOfSocket: boolean;
}

/** Consecutive allocations may skip a few ports taken by other traffic; beyond this it is random. */
const MAX_GAP_MULTIPLE = 4;
/** At least this many steps are needed to call a pattern sequential. */
const MIN_STEPS = 2;

/** Shortest signed distance between two 16-bit port numbers. */
export function portDelta(from: number, to: number): number {
  const d = (((to - from) % 65536) + 65536) % 65536;
  return d >= 32768 ? d - 65536 : d;
}

/** Whether mapped port equals local port on every socket's first mapping; null without samples. */
export function classifyPortPreservation(samples: readonly AllocationSample[]): boolean | null {
  const firsts = samples.filter((s) => s.firstOfSocket);
  if (firsts.length === 0) return null;
  return firsts.every((s) => s.localPort === s.mappedPort);
}

/**
 * The port allocation pattern (RFC 4787 §4.2) from the mappings of several sockets and
 * destinations, in the order they were created: preserving, sequential with its step, or random.
 */
export function classifyPortAllocation(samples: readonly AllocationSample[]): PortAllocation {
  const ordered = [...samples].sort((a, b) => a.order - b.order);
  const ports: number[] = [];
  for (const s of ordered) if (!ports.includes(s.mappedPort)) ports.push(s.mappedPort);
  const preserved = classifyPortPreservation(samples);
  if (preserved === true && samples.filter((s) => s.firstOfSocket).length >= 2) {
    return { pattern: 'preserving', delta: null, samples: ports };
  }
  if (ports.length < MIN_STEPS + 1) return { pattern: 'unknown', delta: null, samples: ports };
  const deltas = ports.slice(1).map((p, i) => portDelta(ports[i] ?? p, p));
  const step = sequentialStep(deltas);
  if (step !== null) return { pattern: 'sequential', delta: step, samples: ports };
  return { pattern: 'random', delta: null, samples: ports };
}

/**
 * The step of a sequential allocator, or null. Most steps must be the same small multiple of one
 * base step with one sign (other traffic through the NAT takes ports in between); one outlier in
 * four is tolerated (a byte-swapped counter jumps when its low byte wraps).
 */
export function sequentialStep(deltas: readonly number[]): number | null {
  if (deltas.length < MIN_STEPS || deltas.some((d) => d === 0)) return null;
  const positives = deltas.filter((d) => d > 0).length;
  const sign = positives * 2 >= deltas.length ? 1 : -1;
  const sameSign = deltas.filter((d) => Math.sign(d) === sign).map(Math.abs);
  if (sameSign.length === 0) return null;
  const base = Math.min(...sameSign);
  const fits = sameSign.filter((d) => d % base === 0 && d / base <= MAX_GAP_MULTIPLE).length;
  const allowedOutliers = Math.floor(deltas.length / 4);
  if (fits >= MIN_STEPS && deltas.length - fits <= allowedOutliers) return sign * base;
  return null;
}
