import type { Link } from './topology.js';
import { VnetError } from './errors.js';
import type { Prng } from './prng.js';

/** A token bucket in front of a link direction. */
export interface BandwidthOptions {
  readonly bytesPerSecond: number;
  /** Bucket size: bytes that may pass at once after a quiet period; default 15 000. */
  readonly burstBytes?: number;
  /** A packet that would wait longer than this in the queue is dropped ('queue-full'); default 100. */
  readonly maxQueueMs?: number;
}

/** Impairments of a link; each direction has its own queue and draws. Everything defaults to off. */
export interface LinkOptions {
  /** One-way propagation delay. */
  readonly latencyMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per packet (which also reorders). */
  readonly jitterMs?: number;
  /** Probability in [0, 1] that a packet is lost. */
  readonly loss?: number;
  /** Probability that a packet is delivered twice. */
  readonly duplicate?: number;
  /** Probability that a packet is held back by `reorderDelayMs`, so that later ones overtake it. */
  readonly reorder?: number;
  /** Default: `latencyMs + jitterMs`, at least 1. */
  readonly reorderDelayMs?: number;
  readonly bandwidth?: BandwidthOptions;
}

/** Returned by `LinkNode.transit` instead of a delay. */
export const LINK_LOST = -1;
export const LINK_QUEUE_FULL = -2;

class Direction {
  tokens = 0;
  last = Number.NEGATIVE_INFINITY;
}

/**
 * A point-to-point link between a node and its router. `transit` is called for every packet on
 * it and returns the delay to apply, or a negative drop code; all randomness comes from the
 * link's own seeded generator.
 */
export class LinkNode implements Link {
  #o: Required<Omit<LinkOptions, 'bandwidth'>> = normalize({});
  #bandwidth: Required<BandwidthOptions> | undefined;
  #ideal = true;
  readonly #up = new Direction();
  readonly #down = new Direction();

  constructor(
    readonly name: string,
    private readonly random: Prng,
    options: LinkOptions = {},
  ) {
    this.configure(options);
  }

  /** Replaces the link's impairments (a test can turn loss on half-way). */
  configure(options: LinkOptions): void {
    this.#o = normalize(options);
    const b = options.bandwidth;
    if (b !== undefined && !(b.bytesPerSecond > 0)) {
      throw new VnetError('ERR_VNET_CONFIG', `link ${this.name}: bandwidth must be positive`);
    }
    this.#bandwidth =
      b === undefined
        ? undefined
        : { bytesPerSecond: b.bytesPerSecond, burstBytes: b.burstBytes ?? 15_000, maxQueueMs: b.maxQueueMs ?? 100 };
    const o = this.#o;
    this.#ideal =
      o.latencyMs === 0 && o.jitterMs === 0 && o.loss === 0 && o.duplicate === 0 && o.reorder === 0 && !b;
    for (const d of [this.#up, this.#down]) {
      d.tokens = this.#bandwidth?.burstBytes ?? 0;
      d.last = Number.NEGATIVE_INFINITY;
    }
  }

  get options(): LinkOptions {
    return { ...this.#o, ...(this.#bandwidth ? { bandwidth: this.#bandwidth } : {}) };
  }

  /** No delay, loss or limit: the packet path may skip `transit`. */
  get ideal(): boolean {
    return this.#ideal;
  }

  /** Delay for a packet of `size` bytes entering the link at `now`, or LINK_LOST / LINK_QUEUE_FULL. */
  transit(upward: boolean, size: number, now: number): number {
    const o = this.#o;
    if (o.loss > 0 && this.random.next() < o.loss) return LINK_LOST;
    let delay = o.latencyMs;
    if (o.jitterMs > 0) delay += this.random.next() * o.jitterMs;
    if (o.reorder > 0 && this.random.next() < o.reorder) delay += o.reorderDelayMs;
    const b = this.#bandwidth;
    if (b !== undefined) {
      const wait = this.#queue(upward ? this.#up : this.#down, b, size, now);
      if (wait < 0) return LINK_QUEUE_FULL;
      delay += wait;
    }
    return delay;
  }

  /** Whether to deliver this packet twice. */
  duplicates(): boolean {
    const p = this.#o.duplicate;
    return p > 0 && this.random.next() < p;
  }

  /** Token bucket: the queueing delay until `size` bytes of tokens are available. */
  #queue(d: Direction, b: Required<BandwidthOptions>, size: number, now: number): number {
    const rate = b.bytesPerSecond / 1000;
    const start = Math.max(now, d.last);
    const tokens = d.last === Number.NEGATIVE_INFINITY ? b.burstBytes : Math.min(b.burstBytes, d.tokens + rate * (start - d.last));
    const departure = tokens >= size ? start : start + (size - tokens) / rate;
    if (departure - now > b.maxQueueMs) return -1;
    d.tokens = tokens >= size ? tokens - size : 0;
    d.last = departure;
    return departure - now;
  }
}

function normalize(o: LinkOptions): Required<Omit<LinkOptions, 'bandwidth'>> {
  const nonNegative = (v: number | undefined, what: string): number => {
    const x = v ?? 0;
    if (!(x >= 0) || !Number.isFinite(x)) throw new VnetError('ERR_VNET_CONFIG', `link option ${what} must be >= 0`);
    return x;
  };
  const probability = (v: number | undefined, what: string): number => {
    const x = nonNegative(v, what);
    if (x > 1) throw new VnetError('ERR_VNET_CONFIG', `link option ${what} must be in [0, 1]`);
    return x;
  };
  const latencyMs = nonNegative(o.latencyMs, 'latencyMs');
  const jitterMs = nonNegative(o.jitterMs, 'jitterMs');
  return {
    latencyMs,
    jitterMs,
    loss: probability(o.loss, 'loss'),
    duplicate: probability(o.duplicate, 'duplicate'),
    reorder: probability(o.reorder, 'reorder'),
    reorderDelayMs: nonNegative(o.reorderDelayMs ?? Math.max(1, latencyMs + jitterMs), 'reorderDelayMs'),
  };
}
