import { familyOf, isSameEndpoint, type Endpoint, type UdpSocket } from '@natkit/net';
import type { ClientContext } from './client-transport.js';
import { handleClientData } from './handle-client-data.js';
import { handleChannelDataFromClient } from './relay-data.js';
import { tupleKeyOf } from './request-scope.js';
import type { TurnCore } from './turn-core.js';

/** Whether a socket's local address is no one address (any, or not an IP literal). */
export function isWildcard(address: string): boolean {
  return familyOf(address) === undefined || address === '0.0.0.0' || address === '::';
}

/** A client of one socket: its context and 5-tuple key, made once rather than per datagram. */
interface Route {
  readonly ctx: ClientContext;
  readonly key: string;
}

/** Routes of one socket by client address (as the socket reports it), then port. */
type Routes = Map<string, Map<number, Route>>;

/**
 * The UDP sockets the server serves on, added and removed at run time. Each may be shared with
 * other handlers (the STUN server): only STUN (first byte 0-3, RFC 7983 §7) and ChannelData
 * (64-127: 64-79 per RFC 7983, 80-127 for RFC 5766 channel numbers) are looked at.
 *
 * Per socket it keeps the route (context, 5-tuple key) of each client that holds an allocation,
 * so that a relayed datagram builds no object and no string; routes of clients without one are
 * not kept (a flood from many sources leaves nothing), and `prune` forgets those whose
 * allocation is gone.
 */
export class UdpAttachments {
  private readonly attached = new Map<UdpSocket, { off: () => void; routes: Routes }>();

  constructor(private readonly core: TurnCore) {}

  attach(socket: UdpSocket): () => void {
    if (this.attached.has(socket)) return () => this.detach(socket);
    const core = this.core;
    const routes: Routes = new Map();
    const off = socket.onMessage((data, from) => {
      const b = data[0];
      if (b === undefined || (b > 3 && (b < 64 || b > 127))) return;
      const route = routes.get(from.address)?.get(from.port) ?? this.newRoute(socket, routes, from);
      if (b >= 64) handleChannelDataFromClient(core, data, route.ctx, route.key);
      else handleClientData(core, data, route.ctx);
    });
    this.attached.set(socket, { off, routes });
    const local = socket.local;
    core.filter = core.filter.withOwnAddresses(isWildcard(local.address) ? [] : [local.address], [local.port]);
    return () => this.detach(socket);
  }

  /** Stops serving `socket` and deletes the allocations made over it (their 5-tuple is gone). */
  detach(socket: UdpSocket): void {
    const entry = this.attached.get(socket);
    if (entry === undefined) return;
    this.attached.delete(socket);
    entry.off();
    for (const a of [...this.core.table.values()]) {
      if (a.fiveTuple.transport === 'udp' && isSameEndpoint(a.fiveTuple.local, socket.local)) this.core.deleteAllocation(a.key, 'socket detached');
    }
  }

  detachAll(): void {
    for (const s of [...this.attached.keys()]) this.detach(s);
  }

  /** The attached socket listening on `local`, if any. */
  socketAt(local: Endpoint): UdpSocket | undefined {
    for (const s of this.attached.keys()) if (isSameEndpoint(s.local, local)) return s;
    return undefined;
  }

  /** Forgets the routes of clients whose allocation is gone (called with the periodic sweep). */
  prune(): void {
    for (const { routes } of this.attached.values()) {
      for (const [address, ports] of routes) {
        for (const [port, route] of ports) if (this.core.table.get(route.key) === undefined) ports.delete(port);
        if (ports.size === 0) routes.delete(address);
      }
    }
  }

  /** The route of a client seen for the first time; kept only when it holds an allocation. */
  private newRoute(socket: UdpSocket, routes: Routes, from: Endpoint): Route {
    const ctx: ClientContext = { transport: 'udp', client: from, local: socket.local, reply: (bytes) => socket.send(bytes, from) };
    const route: Route = { ctx, key: tupleKeyOf(ctx) };
    if (this.core.table.get(route.key) !== undefined) {
      let ports = routes.get(from.address);
      if (ports === undefined) routes.set(from.address, (ports = new Map<number, Route>()));
      ports.set(from.port, route);
    }
    return route;
  }
}
