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

  constructor(readonly maxBytes: number) {}

  /** True when a datagram of `length` bytes may be sent now; false counts a drop. */
  admit(queued: number, length: number): boolean {
    this.#queued = queued;
    const total = queued + this.#pending;
    if (total > 0 && total + length > this.maxBytes) {
      this.#drops++;
      this.#droppedBytes += length;
      return false;
    }
    this.#pending += length;
    return true;
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
