import {
  anyAddress,
  checkBindOptions,
  familyOf,
  NetworkError,
  type BindOptions,
  type Endpoint,
  type Family,
  type Network,
  type UdpSocket,
} from '@natkit/net';
import { canonicalAddress, isLoopback } from './address/ip.js';
import { VirtualEndpoint } from './address/virtual-endpoint.js';
import type { Fabric } from './fabric.js';
import type { LinkNode } from './link.js';
import type { Packet, PacketSink } from './packet.js';
import type { RouterNode } from './router.js';
import type { VirtualHost } from './topology.js';
import { VirtualUdpSocket, type SocketHost } from './udp-socket.js';

/** First port of the dynamic (ephemeral) range, RFC 6335 §6. */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

/** Ports of one family: sockets bound to a specific address, and to the wildcard. */
class PortTable {
  readonly specific = new Map<string, VirtualUdpSocket>();
  readonly wildcard = new Map<number, VirtualUdpSocket>();
  readonly specificPerPort = new Map<number, number>();
  nextEphemeral = EPHEMERAL_FIRST;

  isFree(address: string | undefined, port: number): boolean {
    if (this.wildcard.has(port)) return false;
    return address === undefined ? !this.specificPerPort.has(port) : !this.specific.has(`${address}:${port}`);
  }
}

/**
 * A virtual machine attached to a router. `network` is the `Network` that code under test gets;
 * the host's addresses are fixed at creation (the first of each family is its primary one).
 */
export class HostNode implements PacketSink, SocketHost, VirtualHost {
  readonly network: Network;
  readonly #ports: Record<Family, PortTable> = { 4: new PortTable(), 6: new PortTable() };
  readonly #own: Set<string>;
  readonly #primary: Record<Family, VirtualEndpoint | undefined>;
  readonly #sockets = new Set<VirtualUdpSocket>();
  #closed = false;

  constructor(
    readonly name: string,
    readonly router: RouterNode,
    readonly link: LinkNode,
    readonly addresses: readonly string[],
    private readonly fabric: Fabric,
    private readonly receiveQueueLimit: number,
  ) {
    this.#own = new Set(addresses);
    const first = (f: Family): VirtualEndpoint | undefined => {
      const a = addresses.find((x) => familyOf(x) === f);
      return a === undefined ? undefined : new VirtualEndpoint(a, 0);
    };
    this.#primary = { 4: first(4), 6: first(6) };
    this.network = {
      bindUdp: (options) => this.bindUdp(options),
      localAddressFor: (remote) => Promise.resolve(this.localAddressFor(remote)),
    };
  }

  /** The primary address of a family, if the host has one. */
  address(family: Family): string | undefined {
    return this.#primary[family]?.address;
  }

  /** Sockets currently open (a test's teardown can assert 0). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  bindUdp(options: BindOptions): Promise<UdpSocket> {
    try {
      return Promise.resolve(this.#bind(options));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  localAddressFor(remote: Endpoint): string | undefined {
    const address = canonicalAddress(remote.address);
    if (address === undefined) return undefined;
    const family: Family = address.includes(':') ? 6 : 4;
    if (isLoopback(address)) return family === 4 ? '127.0.0.1' : '::1';
    return this.#primary[family]?.address;
  }

  sendFrom(socket: VirtualUdpSocket, dst: VirtualEndpoint, data: Uint8Array): void {
    if (isLoopback(dst.address) || this.#own.has(dst.address)) {
      const bound = socket.local.address;
      const address = isLoopback(dst.address) || bound === anyAddress(socket.family) ? dst.address : bound;
      this.fabric.send(this, new VirtualEndpoint(address, socket.local.port), dst, data, undefined, this);
      return;
    }
    const src = socket.source;
    if (src === undefined) {
      socket.emitError(new NetworkError('ERR_NETWORK_UNREACHABLE', `no route from ${this.name} to ${dst.address}`));
      return;
    }
    this.fabric.send(this, src, dst, data, this.link, this.router);
  }

  receivePacket(p: Packet): void {
    const ports = this.#ports[p.dst.family];
    const socket = ports.specific.get(p.dst.key) ?? ports.wildcard.get(p.dst.port);
    if (socket === undefined) this.fabric.drop(p, 'no-socket', this.name);
    else socket.enqueue(p);
  }

  release(socket: VirtualUdpSocket): void {
    if (!this.#sockets.delete(socket)) return;
    const ports = this.#ports[socket.family];
    const { address, port } = socket.local;
    if (address === anyAddress(socket.family)) {
      ports.wildcard.delete(port);
      return;
    }
    ports.specific.delete(`${address}:${port}`);
    const n = (ports.specificPerPort.get(port) ?? 1) - 1;
    if (n === 0) ports.specificPerPort.delete(port);
    else ports.specificPerPort.set(port, n);
  }

  /** Closes every socket of the host; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#sockets].map((s) => s.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #bind(options: BindOptions): VirtualUdpSocket {
    checkBindOptions(options);
    const family = options.family;
    if (this.#closed) throw new NetworkError('ERR_SOCKET_CLOSED', `host ${this.name} is closed`);
    const wildcard = anyAddress(family);
    const address = options.address === undefined ? wildcard : canonicalAddress(options.address);
    if (address === undefined || familyOf(address) !== family) {
      throw new NetworkError('ERR_BAD_ADDRESS', `${options.address ?? ''} is not an IPv${family} address`);
    }
    const specific = address === wildcard ? undefined : address;
    if (specific !== undefined && !this.#own.has(specific) && !isLoopback(specific)) {
      throw new NetworkError('ERR_BIND', `cannot bind UDP ${specific}: not an address of ${this.name}`);
    }
    const ports = this.#ports[family];
    const port = options.port !== undefined && options.port !== 0 ? options.port : this.#ephemeral(ports, specific);
    if (!Number.isInteger(port) || port < 1 || port > 65535 || !ports.isFree(specific, port)) {
      throw new NetworkError('ERR_BIND', `cannot bind UDP ${address}:${port}: address in use`);
    }
    const source = specific ?? this.#primary[family]?.address;
    const socket = new VirtualUdpSocket(this, this.fabric, {
      local: { address, port },
      family,
      source: source === undefined || isLoopback(source) ? undefined : new VirtualEndpoint(source, port),
      receiveQueueLimit: this.receiveQueueLimit,
      ...(options.connect === undefined ? {} : { peer: options.connect }),
    });
    if (specific === undefined) ports.wildcard.set(port, socket);
    else {
      ports.specific.set(`${specific}:${port}`, socket);
      ports.specificPerPort.set(port, (ports.specificPerPort.get(port) ?? 0) + 1);
    }
    this.#sockets.add(socket);
    return socket;
  }

  #ephemeral(ports: PortTable, address: string | undefined): number {
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = ports.nextEphemeral;
      ports.nextEphemeral = port === 65535 ? EPHEMERAL_FIRST : port + 1;
      if (ports.isFree(address, port)) return port;
    }
    return 0;
  }
}
