import { isSameEndpoint, type Endpoint, type Family } from '../endpoint.js';
import { NetworkError } from '../errors.js';
import type { ChannelForwarding } from '../channel-forwarding.js';
import type { MessageHandler, UdpSocket, UdpSocketStats } from '../network.js';
import { sendTargetError } from '../input-check.js';
import { SendQueueLimit } from './send-queue.js';
import { channelForwardingStatus, errnoCode, type UdpBatchAddon } from './batch-udp-addon.js';
import { BatchChannelForwarding } from './batch-channel-forwarding.js';

/**
 * The fast path may keep up to 32 KiB of forwarded datagrams in a socket's backlog
 * (native/udp-forward.c, FWD_BACKLOG); it is offered only where the send-queue bound leaves as
 * much again for the socket's own answers.
 */
const MIN_QUEUE_FOR_FORWARDING = 64 * 1024;

/**
 * A `UdpSocket` over the batched-I/O addon (Linux recvmmsg/sendmmsg; see native/udp-batch.c):
 * what arrives in one wake-up reaches JS in one call, and sends leave in one sendmmsg per socket
 * at the end of the loop phase that made them. Same contract as the `dgram` adapter: each
 * datagram's bytes are its own (copied out of the addon's arena, one allocation per batch), the
 * send queue is bounded by {@link SendQueueLimit} (the addon's backlog holds what the kernel
 * refused with EAGAIN), and errors reach the error handlers, never the caller.
 */

/** The one receiver of the addon's batches: hands each datagram to its socket. */
class Dispatcher {
  readonly sockets = new Map<number, BatchUdpSocket>();
  readonly #arena: Buffer;
  readonly #meta: Int32Array;
  readonly #text: Buffer;
  readonly #slot: number;
  readonly #textSize: number;
  readonly #metaInts: number;

  constructor(readonly addon: UdpBatchAddon) {
    const [arena, meta, batch, slot, textSize, metaInts] = addon.init((id, count) => this.#dispatch(id, count));
    this.#arena = Buffer.from(arena);
    this.#meta = new Int32Array(meta, 0, batch * metaInts);
    this.#text = Buffer.from(meta, batch * metaInts * 4, batch * textSize);
    this.#slot = slot;
    this.#textSize = textSize;
    this.#metaInts = metaInts;
    // A send just before process.exit() still leaves, as with dgram (which sends within the call).
    process.once('exit', () => addon.flush());
  }

  /** `count` datagrams are in the arena for socket `id` (count < 0: -errno of an error). */
  #dispatch(id: number, count: number): void {
    const socket = this.sockets.get(id);
    if (socket === undefined) return;
    if (count < 0) {
      socket.emitError(new NetworkError(errnoCode(count), `UDP socket ${socket.local.address}:${socket.local.port}: ${errnoCode(count)}`));
      return;
    }
    const meta = this.#meta;
    const ints = this.#metaInts;
    let total = 0;
    for (let i = 0; i < count; i++) total += Math.max(0, meta[i * ints] ?? 0);
    // One allocation per batch: every datagram's bytes stay valid after its callback.
    const copy = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (let i = 0; i < count && !socket.isClosed(); i++) {
      const m = i * ints;
      const length = meta[m] ?? -1;
      const family = meta[m + 3];
      if (length < 0 || (family !== 4 && family !== 6)) continue; // truncated or not IP: dropped; -2: relayed by the fast path
      this.#arena.copy(copy, at, i * this.#slot, i * this.#slot + length);
      const data = copy.subarray(at, at + length);
      at += length;
      const t = i * this.#textSize;
      const address = family === 4 ? v4Name(meta[m + 2] ?? 0) : this.#text.toString('latin1', t, this.#text.indexOf(0, t));
      socket.deliver(data, { address, port: meta[m + 1] ?? 0 });
    }
  }
}

let dispatcher: Dispatcher | undefined;
const addonIdOf = (socket: UdpSocket, addon: UdpBatchAddon): number | undefined => BatchUdpSocket.addonIdOf(socket, addon);
/** IPv4 address strings by their 32-bit value: no string formatting per datagram. */
const v4Names = new Map<number, string>();
const MAX_V4_NAMES = 65536;

function v4Name(n: number): string {
  let s = v4Names.get(n);
  if (s === undefined) {
    if (v4Names.size >= MAX_V4_NAMES) v4Names.clear();
    s = `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    v4Names.set(n, s);
  }
  return s;
}

function dispatcherFor(addon: UdpBatchAddon): Dispatcher {
  dispatcher ??= new Dispatcher(addon);
  return dispatcher;
}

export class BatchUdpSocket implements UdpSocket {
  readonly #addon: UdpBatchAddon;
  readonly #sockets: Map<number, BatchUdpSocket>;
  readonly #id: number;
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<(e: Error) => void>();
  readonly #queue: SendQueueLimit;
  readonly local: Endpoint;
  #closed: Promise<void> | undefined;
  #peer: Endpoint | undefined;
  /** The ChannelData fast path (undefined: switched off, or a send queue bound under 64 KiB). */
  readonly channelForwarding: ChannelForwarding | undefined;

  private constructor(d: Dispatcher, id: number, local: Endpoint, readonly family: Family, maxSendQueueBytes: number) {
    this.#addon = d.addon;
    this.#sockets = d.sockets;
    this.#id = id;
    this.local = local;
    this.#queue = new SendQueueLimit(maxSendQueueBytes);
    d.sockets.set(id, this);
    const offered = maxSendQueueBytes >= MIN_QUEUE_FOR_FORWARDING && channelForwardingStatus().available;
    this.channelForwarding = offered ? new BatchChannelForwarding(d.addon, () => (this.#closed ? undefined : id), addonIdOf) : undefined;
  }

  /** The addon's id of `socket` when it is an open batch socket of `addon` (for routes between two sockets). */
  static addonIdOf(socket: UdpSocket, addon: UdpBatchAddon): number | undefined {
    return socket instanceof BatchUdpSocket && socket.#addon === addon && socket.#closed === undefined ? socket.#id : undefined;
  }

  /** Opens, binds and (when asked) connects a socket; throws NetworkError `ERR_BIND` / `ERR_CONNECT`. */
  static open(addon: UdpBatchAddon, o: BatchOpenOptions): BatchUdpSocket {
    const d = dispatcherFor(addon);
    const id = addon.open(o.family, o.address, o.port, o.reusePort, o.receiveBufferSize ?? 0, o.sendBufferSize ?? 0);
    if (id < 0) throw new NetworkError('ERR_BIND', `cannot bind UDP ${o.address}:${o.port}: ${errnoCode(id)}`);
    const fail = (code: string, message: string): never => {
      addon.close(id);
      throw new NetworkError(code, message);
    };
    if (o.connect !== undefined) {
      const r = addon.connect(id, o.connect.address, o.connect.port);
      if (r < 0) fail('ERR_CONNECT', `cannot connect UDP to ${o.connect.address}:${o.connect.port}: ${errnoCode(r)}`);
    }
    const local = addon.local(id);
    if (typeof local === 'number') return fail('ERR_BIND', `cannot read the bound address: ${errnoCode(local)}`);
    const socket = new BatchUdpSocket(d, id, { address: local[0], port: local[1] }, o.family, o.maxSendQueueBytes);
    socket.#peer = o.connect;
    return socket;
  }

  get peer(): Endpoint | undefined {
    return this.#peer;
  }

  send(data: Uint8Array, to: Endpoint): void {
    if (this.#closed) {
      this.emitError(new NetworkError('ERR_SOCKET_CLOSED', 'send on a closed socket'));
      return;
    }
    const bad = sendTargetError(to, this.family);
    if (bad !== undefined) {
      this.emitError(bad);
      return;
    }
    const peer = this.#peer;
    if (peer !== undefined && !isSameEndpoint(to, peer)) {
      this.emitError(new NetworkError('ERR_SOCKET_CONNECTED', `this socket is connected to ${peer.address}:${peer.port}`));
      return;
    }
    const bytes = data;
    const address = peer === undefined ? to.address : null;
    const r = this.#addon.send(this.#id, bytes, address, to.port);
    if (r === 0) return;
    if (r < 0) {
      this.emitError(new NetworkError(errnoCode(r), `cannot send to ${to.address}:${to.port}: ${errnoCode(r)}`));
      return;
    }
    // The kernel refused earlier datagrams (EAGAIN): they wait in the addon's backlog, bounded here.
    if (!this.#queue.admit(r, bytes.length, to)) return;
    this.#queue.settle(bytes.length);
    const e = this.#addon.enqueue(this.#id, bytes, address, to.port);
    if (e < 0) this.emitError(new NetworkError(errnoCode(e), `cannot send to ${to.address}:${to.port}: ${errnoCode(e)}`));
  }

  stats(): UdpSocketStats {
    return this.#queue.stats(this.#closed ? 0 : this.#addon.queued(this.#id));
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
    if (this.#closed === undefined) {
      this.#handlers.clear();
      this.#sockets.delete(this.#id);
      this.#addon.close(this.#id);
      this.#closed = Promise.resolve();
    }
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  isClosed(): boolean {
    return this.#closed !== undefined;
  }

  /** One received datagram to every handler (a handler that throws is reported, the others still run). */
  deliver(data: Uint8Array, from: Endpoint): void {
    for (const h of this.#handlers) {
      try {
        h(data, from);
      } catch (e) {
        this.emitError(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  emitError(e: Error): void {
    for (const h of this.#errorHandlers) {
      try {
        h(e);
      } catch {
        // An error handler that throws must not break the socket.
      }
    }
  }
}

/** What `BatchUdpSocket.open` needs (checked by the caller: `checkBindOptions`). */
export interface BatchOpenOptions {
  readonly family: Family;
  readonly address: string;
  readonly port: number;
  readonly reusePort: boolean;
  readonly connect?: Endpoint;
  readonly receiveBufferSize?: number;
  readonly sendBufferSize?: number;
  readonly maxSendQueueBytes: number;
}
