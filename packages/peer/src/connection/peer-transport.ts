import type { Endpoint, UdpSocket } from '@natkit/net';
import type { ConnectionTransport } from './connection-init.js';
import type { RelayKeeper } from './relay-keeper.js';
import type { SecondFamilySocket } from './second-family-socket.js';

export interface PeerTransportDeps {
  /** The main socket and its local address. */
  readonly socket: UdpSocket;
  readonly local: Endpoint;
  readonly second: SecondFamilySocket;
  /** Keeps our relay allocation (its setup changes on a re-allocation). */
  readonly keeper: () => Pick<RelayKeeper, 'setup' | 'checkAllocation'>;
  /** Nothing is sent once the peer is closed. */
  readonly isClosed: () => boolean;
}

/**
 * What a peer's connections and handshakes send over: a socket route goes out on the route's
 * socket or ours of its family (the main one, or the second-family one), a relay route through
 * our allocation.
 */
export function peerTransport(deps: PeerTransportDeps): ConnectionTransport {
  const { socket, local, second } = deps;
  const relay = () => deps.keeper().setup;
  return {
    local,
    localFor: (to) => second.localFor(to, local),
    get relay() {
      const a = relay().allocation;
      return a === null ? null : { relayed: a.relayed, transport: a.transport };
    },
    get udpWorks() {
      return relay().udpWorks;
    },
    send: (bytes, route) => {
      if (deps.isClosed()) return;
      if (route.via === 'socket') (route.socket ?? second.socketFor(route.to, socket)).send(bytes, route.to);
      else relay().allocation?.socket.send(bytes, route.to);
    },
    checkRelay: () => deps.keeper().checkAllocation(),
  };
}
