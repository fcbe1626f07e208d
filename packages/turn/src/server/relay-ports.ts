import type { Family, Network, UdpSocket } from '@natkit/net';

/** Bind attempts per relay socket before answering 508 (bounds the time an Allocate takes). */
const MAX_BIND_ATTEMPTS = 64;

export interface RelayBindRequest {
  readonly family: Family;
  readonly address: string;
  /** EVEN-PORT: an even port. RFC 8656 §7.2 */
  readonly even: boolean;
  /** EVEN-PORT R=1: also bind the next port (odd), to be reserved. */
  readonly reserveNext: boolean;
}

export interface BoundRelay {
  readonly socket: UdpSocket;
  /** The socket on port + 1 when `reserveNext` was asked. */
  readonly next?: UdpSocket;
}

/**
 * Binds relay sockets in a port range, starting at a random port and walking the range,
 * skipping ports this server already holds and those `isReserved` names (its listening
 * ports, which the peer filter never takes as relayed addresses). At most MAX_BIND_ATTEMPTS binds; undefined when
 * no port (pair) is free: the caller answers 508.
 */
export class RelayPortRange {
  private readonly held = new Set<string>();
  /** Held sockets per port number (any address). */
  private readonly heldPorts = new Map<number, number>();

  constructor(
    private readonly network: Network,
    readonly low: number,
    readonly high: number,
    private readonly random: (n: number) => Uint8Array,
    private readonly isReserved: (port: number) => boolean = () => false,
  ) {}

  async bind(req: RelayBindRequest): Promise<BoundRelay | undefined> {
    const span = this.high - this.low + 1;
    const r = this.random(4);
    const start = (((r[0] ?? 0) << 16) | ((r[1] ?? 0) << 8) | (r[2] ?? 0)) % span;
    const step = req.even || req.reserveNext ? 2 : 1;
    let attempts = 0;
    for (let i = 0; i < span && attempts < MAX_BIND_ATTEMPTS; i += step) {
      let port = this.low + ((start + i) % span);
      if (step === 2 && port % 2 === 1) port = port + 1 > this.high ? port - 1 : port + 1;
      if (port < this.low || (req.reserveNext && port + 1 > this.high)) continue;
      if (this.isTaken(req.address, port) || (req.reserveNext && this.isTaken(req.address, port + 1))) continue;
      attempts++;
      const bound = await this.tryBind(req, port);
      if (bound !== undefined) return bound;
    }
    return undefined;
  }

  /** Forgets a port when its socket closes. */
  release(socket: UdpSocket): void {
    if (!this.held.delete(this.key(socket.local.address, socket.local.port))) return;
    const n = (this.heldPorts.get(socket.local.port) ?? 1) - 1;
    if (n > 0) this.heldPorts.set(socket.local.port, n);
    else this.heldPorts.delete(socket.local.port);
  }

  private async tryBind(req: RelayBindRequest, port: number): Promise<BoundRelay | undefined> {
    const socket = await this.bindOne(req, port);
    if (socket === undefined) return undefined;
    if (!req.reserveNext) return { socket };
    const next = await this.bindOne(req, port + 1);
    if (next === undefined) {
      await this.close(socket);
      return undefined;
    }
    return { socket, next };
  }

  private async bindOne(req: RelayBindRequest, port: number): Promise<UdpSocket | undefined> {
    try {
      const s = await this.network.bindUdp({ family: req.family, address: req.address, port });
      this.held.add(this.key(s.local.address, s.local.port));
      this.heldPorts.set(s.local.port, (this.heldPorts.get(s.local.port) ?? 0) + 1);
      return s;
    } catch {
      return undefined; // in use by another process, or not bindable: try the next port
    }
  }

  /** Closes a relay socket and forgets its port. */
  async close(socket: UdpSocket): Promise<void> {
    this.release(socket);
    await socket.close();
  }

  /** Whether this server holds a relay socket on `address:port` (as the socket reports it). */
  holds(address: string, port: number): boolean {
    return this.isHeld(address, port);
  }

  /** Whether this server holds a relay socket on `port` on any address. */
  holdsPort(port: number): boolean {
    return this.heldPorts.has(port);
  }

  private isTaken(address: string, port: number): boolean {
    return this.isHeld(address, port) || this.isReserved(port);
  }

  private isHeld(address: string, port: number): boolean {
    return this.held.has(this.key(address, port));
  }

  private key(address: string, port: number): string {
    return `${address}|${port}`;
  }
}
