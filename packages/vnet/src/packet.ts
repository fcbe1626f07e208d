import type { HeapItem } from './clock/binary-heap.js';
import type { VirtualEndpoint } from './address/virtual-endpoint.js';

/** Something a packet can arrive at: a router or a host. */
export interface PacketSink {
  readonly name: string;
  receivePacket(packet: Packet): void;
}

/**
 * A datagram in flight. Routers rewrite `src`/`dst` as it crosses NATs; `node` and `fromWan`
 * say where it arrives next. It doubles as its own event-queue entry (no wrapper per hop).
 */
export class Packet implements HeapItem {
  at: number;
  seq = 0;
  heapIndex = -1;
  node: PacketSink | undefined = undefined;
  /** It arrives at `node` from the node's parent (the WAN side) rather than from its LAN. */
  fromWan = false;

  constructor(
    readonly id: number,
    public src: VirtualEndpoint,
    public dst: VirtualEndpoint,
    readonly data: Uint8Array,
    at: number,
  ) {
    this.at = at;
  }
}
