import type { Endpoint } from '../endpoint.js';
import type { UdpSocketStats } from '../network.js';

/**
 * The bound on what a socket may have waiting to leave. A UDP answer that waits behind a congested
 * uplink is worthless once the client has retransmitted or given up (RFC 8489 §6.2.1: 39.5 s at
 * most, the first retransmission after 500 ms), and every queued datagram costs memory: so what
 * does not fit is dropped and counted, as a router's full queue would.
 */

/**
 * Default bound, in payload bytes. Small datagrams cost more on the wire than their payload (a
 * 76-byte STUN answer is 118 bytes on Ethernet): 64 KiB of them drain in about 0.1 s at 8 Mbit/s,
 * 40 ms at 20 Mbit/s, 0.8 s at 1 Mbit/s, inside a client's first retransmission timeout (500 ms)
 * on any uplink a server has. The kernel's socket buffer in front of it absorbs ordinary bursts.
 * Measured with 256 KiB: fresh answers left 0.5 s late at 8 Mbit/s (test/lab/congested-egress).
 */
export const DEFAULT_MAX_SEND_QUEUE_BYTES = 64 * 1024;

/**
 * Fairness between destinations once the queue is more than half full. A flood from one source
 * (or a few) keeps the queue full, and a bound alone then drops a fresh client's answer exactly
 * like the flood's: measured on an 8 Mbit/s uplink, 4 % of any answer got out, and often none of
 * 49 fresh requests was answered. So the upper half of the bound is kept for destinations that
 * sent little in the current window: a destination given more than {@link HEAVY_DATAGRAMS}
 * datagrams while congested waits for the queue to drain below half, as a per-flow fair queue
 * would put it behind the light flows.
 */
const WINDOW_MS = 250;
const HEAVY_DATAGRAMS = 16;
/** Bound on remembered destinations per window: a spray from many addresses ends the window early (those are all light, as before). */
const MAX_TRACKED = 4096;

/**
 * Accounting for one socket. `queued` is what the socket's own queue reports (libuv's, via
 * `getSendQueueSize()`); `pending` covers sends admitted but not yet handed to the socket (the
 * Node adapter settles each right after its `dgram` send call, which hands it over at once). A datagram is admitted when the queue
 * is empty (so one larger than the bound still goes out) or when it fits under the bound.
 */
export class SendQueueLimit {
  #pending = 0;
  #drops = 0;
  #droppedBytes = 0;
  #queued = 0;
  /** Datagrams admitted per destination while congested, in the window that started at #windowStart. */
  readonly #recent = new Map<string, number>();
  #windowStart = 0;

  readonly #now: () => number;

  constructor(
    readonly maxBytes: number,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now;
  }

  /**
   * True when a datagram of `length` bytes to `to` may be sent now; false counts a drop. Without
   * `to` the whole bound is shared first come, first served.
   */
  admit(queued: number, length: number, to?: Endpoint): boolean {
    this.#queued = queued;
    const total = queued + this.#pending;
    if (total > 0 && (total + length > this.maxBytes || (to !== undefined && total + length > this.maxBytes / 2 && this.#heavy(to)))) {
      this.#drops++;
      this.#droppedBytes += length;
      return false;
    }
    this.#pending += length;
    return true;
  }

  /** Counts one more datagram for `to` in the current window; true when it already had its share. */
  #heavy(to: Endpoint): boolean {
    const now = this.#now();
    if (now - this.#windowStart >= WINDOW_MS || this.#recent.size >= MAX_TRACKED) {
      this.#recent.clear();
      this.#windowStart = now;
    }
    const key = `${to.address}|${to.port}`;
    const count = this.#recent.get(key) ?? 0;
    if (count >= HEAVY_DATAGRAMS) return true;
    this.#recent.set(key, count + 1);
    return false;
  }

  /** The admitted datagram of `length` bytes has reached the socket's own queue (or the wire). */
  settle(length: number): void {
    this.#pending = Math.max(0, this.#pending - length);
  }

  /** Every admitted datagram has reached the socket's own queue (or the wire). */
  settleAll(): void {
    this.#pending = 0;
  }

  stats(queued: number = this.#queued): UdpSocketStats {
    return { sendQueueBytes: queued + this.#pending, sendQueueDrops: this.#drops, sendQueueDroppedBytes: this.#droppedBytes };
  }
}
