import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { anyAddress, familyOf, isSameEndpoint, type Endpoint, type Family } from '../endpoint.js';
import type { BindOptions, InterfaceAddress, MessageHandler, Network, UdpSocket, UdpSocketStats } from '../network.js';
import { NetworkError } from '../errors.js';
import { DEFAULT_MAX_SEND_QUEUE_BYTES, SendQueueLimit } from './send-queue.js';
import { checkBindOptions, numberProblem, sendTargetError } from '../input-check.js';
import type { StreamNetwork } from '../stream.js';
import { nodeStreamNetwork } from './node-stream-network.js';
import { loadUdpBatchAddon } from './batch-udp-addon.js';
import { BatchUdpSocket } from './batch-udp-socket.js';

/** Options of the Node adapter. */
export interface NodeNetworkOptions {
  /** Receive buffer size in bytes for every socket (servers want more than the default). */
  readonly receiveBufferSize?: number;
  readonly sendBufferSize?: number;
  /**
   * Most payload bytes a socket may have waiting to leave (default 64 KiB, `Infinity` for no
   * bound). Node's own send queue has no limit: on a congested uplink it would grow without end
   * and send answers long after anyone waits for them. Past this, datagrams are dropped and
   * counted (`UdpSocket.stats()`).
   */
  readonly maxSendQueueBytes?: number;
  /**
   * UDP ports whose sockets join an SO_REUSEPORT group (Node >= 22.12 / 23.1 `reusePort`): other
   * processes of the same user bind the same port, and the kernel hands each datagram to one of
   * the sockets by a hash of its 4-tuple, so one client keeps reaching the same socket while the
   * group stays the same. Only for these ports (a server's listening port), never for ephemeral
   * or relay ports. Check `udpReusePortSupported()` first: older Nodes ignore the option, and the
   * second bind then fails.
   */
  readonly reusePorts?: readonly number[];
  /**
   * Batched UDP I/O (recvmmsg/sendmmsg, Linux) through natkit's native addon when it is built:
   * on by default there, off with `false` or the environment `NATKIT_UDP_BATCH=0`. Without the
   * addon (no C compiler at install, another OS) sockets use `node:dgram`; `udpBatchStatus()`
   * says which and why. Both behave the same towards callers.
   */
  readonly udpBatch?: boolean;
}

/** The `Network` backed by Node's `dgram` sockets, with TCP and TLS streams (`node:net`, `node:tls`). */
export function createNodeNetwork(options: NodeNetworkOptions = {}): Network & StreamNetwork {
  for (const key of ['receiveBufferSize', 'sendBufferSize'] as const) {
    const problem = options[key] === undefined ? undefined : numberProblem(options[key], { min: 1, max: 2 ** 31 - 1, integer: true });
    if (problem !== undefined) throw new NetworkError('ERR_BAD_OPTION', `createNodeNetwork: ${key} ${problem}`);
  }
  return {
    bindUdp: (bind) => bindNodeSocket(bind, options),
    localAddressFor,
    interfaceAddresses,
    ...nodeStreamNetwork,
  };
}

/** The OS's interface addresses (os.networkInterfaces()), IPv6 scope ids dropped. */
function interfaceAddresses(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) {
      const family = familyOf(a.address);
      if (family !== undefined) out.push({ address: a.address, family, interface: name, internal: a.internal });
    }
  }
  return out;
}

class NodeUdpSocket implements UdpSocket {
  readonly #socket: Socket;
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<(e: Error) => void>();
  readonly #queue: SendQueueLimit;
  #closed: Promise<void> | undefined;

  constructor(
    socket: Socket,
    readonly local: Endpoint,
    readonly family: Family,
    readonly peer: Endpoint | undefined,
    maxSendQueueBytes: number,
  ) {
    this.#socket = socket;
    this.#queue = new SendQueueLimit(maxSendQueueBytes);
    socket.on('message', (msg, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      for (const h of this.#handlers) {
        try {
          h(msg, from);
        } catch (e) {
          this.#emitError(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    socket.on('error', (e) => this.#emitError(e));
  }

  send(data: Uint8Array, to: Endpoint): void {
    if (this.#closed) {
      this.#emitError(new NetworkError('ERR_SOCKET_CLOSED', 'send on a closed socket'));
      return;
    }
    const bad = sendTargetError(to, this.family);
    if (bad !== undefined) {
      this.#emitError(bad);
      return;
    }
    if (!this.#queue.admit(this.#socket.getSendQueueSize(), data.length, to)) return;
    try {
      // No per-send callback: a failed send is emitted as the socket's error event, which is handled.
      // The address lookup answers at once (literalLookup), so the datagram reaches the socket
      // (the wire, or libuv's queue) within this call, as on a connected socket.
      if (this.peer === undefined) this.#socket.send(data, to.port, to.address);
      else if (isSameEndpoint(to, this.peer)) this.#socket.send(data);
      else this.#emitError(new NetworkError('ERR_SOCKET_CONNECTED', `this socket is connected to ${this.peer.address}:${this.peer.port}`));
    } catch (e) {
      this.#emitError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.#queue.settle(data.length);
    }
  }

  stats(): UdpSocketStats {
    let queued = 0;
    try {
      queued = this.#closed ? 0 : this.#socket.getSendQueueSize();
    } catch {
      queued = 0; // closed underneath us
    }
    return this.#queue.stats(queued);
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
    this.#closed ??= new Promise((resolve) => {
      this.#handlers.clear();
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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

async function bindNodeSocket(bind: BindOptions, options: NodeNetworkOptions): Promise<UdpSocket> {
  checkBindOptions(bind);
  const address = bind.address ?? anyAddress(bind.family);
  const port = bind.port ?? 0;
  const addon = options.udpBatch === false ? undefined : loadUdpBatchAddon();
  if (addon !== undefined) {
    return BatchUdpSocket.open(addon, {
      family: bind.family,
      address,
      port,
      reusePort: port !== 0 && options.reusePorts?.includes(port) === true,
      ...(bind.connect === undefined ? {} : { connect: bind.connect }),
      ...(options.receiveBufferSize === undefined ? {} : { receiveBufferSize: options.receiveBufferSize }),
      ...(options.sendBufferSize === undefined ? {} : { sendBufferSize: options.sendBufferSize }),
      maxSendQueueBytes: options.maxSendQueueBytes ?? DEFAULT_MAX_SEND_QUEUE_BYTES,
    });
  }
  const socketOptions: SocketOptions & { reusePort?: boolean } = {
    type: bind.family === 4 ? 'udp4' : 'udp6',
    ipv6Only: bind.family === 6,
    lookup: literalLookup,
    ...(options.receiveBufferSize !== undefined ? { recvBufferSize: options.receiveBufferSize } : {}),
    ...(options.sendBufferSize !== undefined ? { sendBufferSize: options.sendBufferSize } : {}),
    ...(port !== 0 && options.reusePorts?.includes(port) === true ? { reusePort: true } : {}),
  };
  const socket = createSocket(socketOptions);
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => {
      socket.close();
      reject(new NetworkError('ERR_BIND', `cannot bind UDP ${address}:${bind.port ?? 0}: ${e.message}`, e));
    };
    socket.once('error', onError);
    // exclusive: a cluster worker binds its own socket (with reusePort, its own member of the group).
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  const peer = bind.connect;
  if (peer !== undefined) {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => {
        socket.close();
        reject(new NetworkError('ERR_CONNECT', `cannot connect UDP to ${peer.address}:${peer.port}: ${e.message}`, e));
      };
      socket.once('error', onError);
      // Node hands a failed connect() (ENETUNREACH: no route) to this callback, not to 'error'.
      socket.connect(peer.port, peer.address, (e?: Error) => {
        socket.off('error', onError);
        if (e) onError(e);
        else resolve();
      });
    });
  }
  const a = socket.address();
  const maxQueue = options.maxSendQueueBytes ?? DEFAULT_MAX_SEND_QUEUE_BYTES;
  return new NodeUdpSocket(socket, { address: a.address, port: a.port }, bind.family, peer, maxQueue);
}

/**
 * dgram's address lookup, for IP literals only: every address this adapter hands dgram (bind,
 * connect, send) has been checked to be an IP literal of the socket's family first. It answers at
 * once, so that `send` goes out in the call instead of after `dns.lookup` and a tick per datagram
 * (what the default lookup costs on a relay's every packet).
 */
function literalLookup(address: string, _options: unknown, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, familyOf(address) ?? 4);
}

/**
 * Whether sockets of `createNodeNetwork(options)` can share a UDP port (SO_REUSEPORT): always
 * with the batched-I/O addon (it sets the option itself); else whether this Node's `dgram` does
 * (`reusePort`: Node >= 22.12 and >= 23.1 on Linux): binds two sockets to one loopback port and
 * reports whether the second bind succeeded. Older Nodes ignore the option, so it fails.
 */
export async function udpReusePortSupported(options: Pick<NodeNetworkOptions, 'udpBatch'> = {}): Promise<boolean> {
  if (options.udpBatch !== false && loadUdpBatchAddon() !== undefined) return true;
  const open = (port: number): Promise<Socket | undefined> =>
    new Promise((resolve) => {
      const options: SocketOptions & { reusePort?: boolean } = { type: 'udp4', reusePort: true };
      const s = createSocket(options);
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind({ address: '127.0.0.1', port, exclusive: true }, () => resolve(s));
    });
  const first = await open(0);
  if (first === undefined) return false;
  const second = await open(first.address().port);
  first.close();
  second?.close();
  return second !== undefined;
}

/** Connects a UDP socket (which sends nothing) and reads the source address the OS picked. */
async function localAddressFor(remote: Endpoint): Promise<string | undefined> {
  const family = familyOf(remote.address);
  if (family === undefined) return undefined;
  const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 });
  try {
    return await new Promise<string | undefined>((resolve) => {
      socket.once('error', () => resolve(undefined));
      // A failed connect() (ENETUNREACH: no route to that family) arrives here, not as 'error';
      // ignoring it would report the wildcard the socket was bound to as the local address.
      socket.connect(remote.port, remote.address, (e?: Error) => {
        if (e) {
          resolve(undefined);
          return;
        }
        try {
          resolve(socket.address().address);
        } catch {
          resolve(undefined);
        }
      });
    });
  } finally {
    socket.close();
  }
}
