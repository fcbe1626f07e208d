import { NetworkError, sendTargetError, type Endpoint, type Family, type MessageHandler, type UdpSocket } from '@natkit/net';
import { canonicalAddress } from './address/ip.js';
import { VirtualEndpoint } from './address/virtual-endpoint.js';
import type { Fabric, ReceiveQueue } from './fabric.js';
import type { Packet } from './packet.js';

/** RFC 791 / RFC 8200 payload limits for UDP (65535 minus the IP and UDP headers). */
const MAX_PAYLOAD = { 4: 65_507, 6: 65_527 } as const;

/** What a socket needs from its host. */
export interface SocketHost {
  readonly name: string;
  sendFrom(socket: VirtualUdpSocket, dst: VirtualEndpoint, data: Uint8Array): void;
  release(socket: VirtualUdpSocket): void;
}

export interface SocketInit {
  readonly local: Endpoint;
  readonly family: Family;
  readonly source: VirtualEndpoint | undefined;
  readonly receiveQueueLimit: number;
  /** A connected socket's peer: datagrams from anyone else are dropped ('no-socket'). */
  readonly peer?: Endpoint;
}

/**
 * A UDP socket of a virtual host. `send` copies the datagram and queues it on the network;
 * arrivals wait in a bounded receive queue and reach the handlers from the clock's timer.
 */
export class VirtualUdpSocket implements UdpSocket, ReceiveQueue {
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<(error: Error) => void>();
  #queue: Packet[] = [];
  #closed = false;
  #lastTo: Endpoint | undefined;
  #lastToAddress = '';
  #lastDst: VirtualEndpoint | undefined;

  readonly local: Endpoint;
  readonly family: Family;
  /** Source endpoint of packets leaving the host (undefined: the host has no address of this family). */
  readonly source: VirtualEndpoint | undefined;
  readonly #receiveQueueLimit: number;

  constructor(
    private readonly host: SocketHost,
    private readonly fabric: Fabric,
    init: SocketInit,
  ) {
    this.local = init.local;
    this.family = init.family;
    this.source = init.source;
    this.#receiveQueueLimit = init.receiveQueueLimit;
    this.#peer = init.peer;
  }

  readonly #peer: Endpoint | undefined;

  get closed(): boolean {
    return this.#closed;
  }

  send(data: Uint8Array, to: Endpoint): void {
    if (this.#closed) {
      this.#emitError(new NetworkError('ERR_SOCKET_CLOSED', 'send on a closed socket'));
      return;
    }
    if (this.#peer !== undefined && !(to.port === this.#peer.port && canonicalAddress(to.address) === canonicalAddress(this.#peer.address))) {
      this.#emitError(new NetworkError('ERR_SOCKET_CONNECTED', `this socket is connected to ${this.#peer.address}:${this.#peer.port}`));
      return;
    }
    let dst = this.#lastDst;
    if (dst === undefined || to !== this.#lastTo || to.address !== this.#lastToAddress || to.port !== dst.port) {
      dst = this.#resolve(to);
      if (dst === undefined) return;
    }
    if (data.length > MAX_PAYLOAD[this.family]) {
      this.#emitError(new NetworkError('ERR_MSG_SIZE', `datagram of ${data.length} bytes is too large`));
      return;
    }
    this.host.sendFrom(this, dst, new Uint8Array(data));
  }

  onMessage(handler: MessageHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  onError(handler: (error: Error) => void): () => void {
    this.#errorHandlers.add(handler);
    return () => this.#errorHandlers.delete(handler);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#handlers.clear();
      for (const p of this.#queue) this.fabric.drop(p, 'no-socket', this.host.name);
      this.#queue = [];
      this.host.release(this);
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Queues an arrived packet, or drops it ('queue-full') when the queue is full. */
  enqueue(p: Packet): void {
    if (this.#queue.length >= this.#receiveQueueLimit) {
      this.fabric.drop(p, 'queue-full', this.host.name);
      return;
    }
    if (this.#queue.length === 0) this.fabric.ready(this);
    this.#queue.push(p);
  }

  flushReceived(): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const p of queue) {
      if (this.#closed || (this.#peer !== undefined && !(p.src.port === this.#peer.port && p.src.address === canonicalAddress(this.#peer.address)))) {
        this.fabric.drop(p, 'no-socket', this.host.name);
        continue;
      }
      this.fabric.delivered++;
      if (this.fabric.tracing) this.fabric.record('deliver', p, this.host.name);
      for (const handler of this.#handlers) {
        try {
          handler(p.data, p.src);
        } catch (e) {
          this.#emitError(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
  }

  /** Reports an error to the error handlers (never throws). */
  emitError(error: Error): void {
    this.#emitError(error);
  }

  #resolve(to: Endpoint): VirtualEndpoint | undefined {
    // The same contract as the Node adapter: an IP literal of the socket's family, port 1-65535.
    const bad = sendTargetError(to, this.family);
    const address = bad === undefined ? canonicalAddress(to.address) : undefined;
    if (address === undefined) {
      this.#emitError(bad ?? new NetworkError('ERR_BAD_ADDRESS', `cannot send to ${to.address}`));
      return undefined;
    }
    const dst = new VirtualEndpoint(address, to.port);
    this.#lastTo = to;
    this.#lastToAddress = to.address;
    this.#lastDst = dst;
    return dst;
  }

  #emitError(e: Error): void {
    for (const h of this.#errorHandlers) {
      try {
        h(e);
      } catch {
        // An error handler that throws must not break the socket.
      }
    }
  }
}
