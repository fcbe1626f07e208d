import type { PortAllocationReport } from './types.js';

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
 * destinations: preserving, sequential with its step, or random.
 *
 * The step is read from the ports themselves, sorted around the port circle, not from the order
 * the requests were sent in: when a first packet is lost, its retransmission reaches the NAT after
 * a later socket's packet, and the allocation order differs from the send order. The send order
 * gives only the direction of the step (most consecutive pairs agree).
 */
export function classifyPortAllocation(samples: readonly AllocationSample[]): PortAllocationReport {
  const ordered = [...samples].sort((a, b) => a.order - b.order);
  const ports: number[] = [];
  for (const s of ordered) if (!ports.includes(s.mappedPort)) ports.push(s.mappedPort);
  const preserved = classifyPortPreservation(samples);
  if (preserved === true && samples.filter((s) => s.firstOfSocket).length >= 2) {
    return { pattern: 'preserving', delta: null, samples: ports };
  }
  if (ports.length < MIN_STEPS + 1) return { pattern: 'unknown', delta: null, samples: ports };
  const step = sequentialStep(circularGaps(ports));
  if (step === null) return { pattern: 'random', delta: null, samples: ports };
  const rising = ports.slice(1).filter((p, i) => portDelta(ports[i] ?? p, p) > 0).length;
  const sign = rising * 2 >= ports.length - 1 ? 1 : -1;
  return { pattern: 'sequential', delta: sign * step, samples: ports };
}

/**
 * The gaps between neighbouring ports on the 16-bit circle, without the largest one (the stretch
 * of ports the samples do not cover), so that a run crossing 65535 to 0 stays one run.
 */
export function circularGaps(ports: readonly number[]): number[] {
  const sorted = [...ports].sort((a, b) => a - b);
  const gaps = sorted.map((p, i) => (i === sorted.length - 1 ? (sorted[0] ?? p) + 65536 - p : (sorted[i + 1] ?? p) - p));
  const widest = gaps.indexOf(Math.max(...gaps));
  return [...gaps.slice(widest + 1), ...gaps.slice(0, widest)];
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
