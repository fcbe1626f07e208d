import { formatEndpoint, silentLogger, type Clock, type Logger, type Timer } from '@natkit/net';
import type { VirtualEndpoint } from './address/virtual-endpoint.js';
import { BinaryHeap } from './clock/binary-heap.js';
import { LINK_LOST, type LinkNode } from './link.js';
import { dropReasons, type DropEvent, type DropReason } from './observe/drop-reason.js';
import type { TraceEntry, TraceEvent } from './observe/packet-trace.js';
import { RingBuffer } from './observe/ring-buffer.js';
import { Packet, type PacketSink } from './packet.js';

/** Something with received datagrams waiting for its handlers (a socket). */
export interface ReceiveQueue {
  flushReceived(): void;
}

export interface FabricOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly dropHistory: number;
  readonly maxInFlight: number;
  readonly maxEventsPerDrain: number;
}

/**
 * The packet engine of one virtual network: a time-ordered queue of packets in flight, driven
 * by a single timer on the clock; link transit; drop counting; the optional trace. Every
 * delivery happens from the clock's timer, never inside `send()`.
 */
export class Fabric {
  readonly clock: Clock;
  readonly drops: Record<DropReason, number>;
  sent = 0;
  delivered = 0;
  readonly #heap = new BinaryHeap<Packet>();
  readonly #log: Logger | undefined;
  readonly #maxInFlight: number;
  readonly #maxEventsPerDrain: number;
  readonly #recentDrops: RingBuffer<DropEvent>;
  readonly #dropListeners = new Set<(event: DropEvent) => void>();
  #trace: RingBuffer<TraceEntry> | undefined;
  #ready: ReceiveQueue[] = [];
  #timer: Timer | undefined;
  #armedAt = Number.POSITIVE_INFINITY;
  #draining = false;
  #seq = 0;
  #ids = 0;
  #closed = false;
  readonly #onTimer = (): void => this.#drain();

  constructor(options: FabricOptions) {
    this.clock = options.clock;
    this.#log = options.logger === undefined || options.logger === silentLogger ? undefined : options.logger;
    this.#maxInFlight = options.maxInFlight;
    this.#maxEventsPerDrain = options.maxEventsPerDrain;
    this.#recentDrops = new RingBuffer(options.dropHistory);
    this.drops = Object.fromEntries(dropReasons.map((r) => [r, 0])) as Record<DropReason, number>;
  }

  get inFlight(): number {
    return this.#heap.size;
  }

  /** Sends a new datagram from `origin`: across `link` to `next`, or straight to `next` when `link` is undefined. */
  send(origin: PacketSink, src: VirtualEndpoint, dst: VirtualEndpoint, data: Uint8Array, link: LinkNode | undefined, next: PacketSink): void {
    if (this.#closed) return;
    const p = new Packet(this.#ids++, src, dst, data, this.clock.now());
    this.sent++;
    if (this.#trace !== undefined) this.record('send', p, origin.name);
    if (link === undefined) this.#schedule(p, next, false, p.at);
    else this.transit(link, true, p, next, false);
  }

  /**
   * Moves `p` across `link` (upward: towards the root) to `next`. With zero delay and `inline`,
   * `next` handles it at once; otherwise it waits in the queue.
   */
  transit(link: LinkNode, upward: boolean, p: Packet, next: PacketSink, inline: boolean): void {
    let delay = 0;
    if (!link.ideal) {
      delay = link.transit(upward, p.data.length, p.at);
      if (delay < 0) {
        this.drop(p, delay === LINK_LOST ? 'lost' : 'queue-full', link.name);
        return;
      }
      if (link.duplicates()) {
        const copy = new Packet(this.#ids++, p.src, p.dst, new Uint8Array(p.data), p.at);
        if (this.#trace !== undefined) this.record('duplicate', copy, link.name);
        const again = link.transit(upward, copy.data.length, copy.at);
        if (again >= 0) this.#schedule(copy, next, !upward, copy.at + again);
      }
    }
    if (delay === 0 && inline) {
      p.node = next;
      p.fromWan = !upward;
      next.receivePacket(p);
    } else {
      this.#schedule(p, next, !upward, p.at + delay);
    }
  }

  drop(p: Packet, reason: DropReason, node: string): void {
    this.drops[reason]++;
    if (this.#trace !== undefined) this.record('drop', p, node, reason);
    if (this.#recentDrops.capacity === 0 && this.#dropListeners.size === 0 && this.#log === undefined) return;
    const event: DropEvent = { at: p.at, reason, node, src: p.src, dst: p.dst, size: p.data.length };
    this.#recentDrops.push(event);
    this.#log?.trace('packet dropped', { reason, node, src: formatEndpoint(p.src), dst: formatEndpoint(p.dst) });
    for (const listener of this.#dropListeners) {
      try {
        listener(event);
      } catch {
        // A listener that throws must not break packet processing.
      }
    }
  }

  onDrop(listener: (event: DropEvent) => void): () => void {
    this.#dropListeners.add(listener);
    return () => this.#dropListeners.delete(listener);
  }

  recentDrops(): DropEvent[] {
    return this.#recentDrops.toArray();
  }

  enableTrace(capacity: number): void {
    this.#trace = new RingBuffer(capacity);
  }

  disableTrace(): void {
    this.#trace = undefined;
  }

  trace(): TraceEntry[] {
    return this.#trace?.toArray() ?? [];
  }

  get tracing(): boolean {
    return this.#trace !== undefined;
  }

  record(event: TraceEvent, p: Packet, node: string, reason?: DropReason): void {
    const trace = this.#trace;
    if (trace === undefined) return;
    const base = { at: p.at, packet: p.id, event, node, src: formatEndpoint(p.src), dst: formatEndpoint(p.dst), size: p.data.length };
    trace.push(reason === undefined ? base : { ...base, reason });
  }

  /** A socket has datagrams for its handlers; they run after the current instant's packets. */
  ready(queue: ReceiveQueue): void {
    this.#ready.push(queue);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#heap.clear();
    this.#ready = [];
  }

  #schedule(p: Packet, node: PacketSink, fromWan: boolean, at: number): void {
    if (this.#heap.size >= this.#maxInFlight) {
      this.drop(p, 'queue-full', node.name);
      return;
    }
    p.node = node;
    p.fromWan = fromWan;
    p.at = at;
    p.seq = this.#seq++;
    this.#heap.push(p);
    if (!this.#draining && at < this.#armedAt) this.#arm();
  }

  #arm(): void {
    const head = this.#heap.peek();
    if (this.#closed || head === undefined) {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#armedAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== undefined && this.#armedAt <= head.at) return;
    this.#timer?.cancel();
    this.#armedAt = head.at;
    this.#timer = this.clock.setTimeout(this.#onTimer, head.at - this.clock.now());
  }

  #drain(): void {
    this.#timer = undefined;
    const limit = Math.max(this.clock.now(), this.#armedAt);
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#draining = true;
    try {
      const heap = this.#heap;
      let events = 0;
      let head = heap.peek();
      while (head !== undefined && head.at <= limit && events < this.#maxEventsPerDrain) {
        const instant = head.at;
        do {
          heap.pop();
          (head.node as PacketSink).receivePacket(head);
          events++;
          head = heap.peek();
        } while (head !== undefined && head.at === instant && events < this.#maxEventsPerDrain);
        this.#flushReady();
        head = heap.peek();
      }
    } finally {
      this.#draining = false;
      this.#arm();
    }
  }

  #flushReady(): void {
    const ready = this.#ready;
    if (ready.length === 0) return;
    this.#ready = [];
    for (const queue of ready) queue.flushReceived();
  }
}
