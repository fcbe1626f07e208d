import type { Clock, Endpoint, Logger } from '@natkit/net';
import type { Session } from '../session/session.js';
import type { ConnectionTiming } from './connection-timing.js';
import type { DirectPathFinder } from './direct-path-finder.js';
import type { Route } from './path.js';

/** What a connection needs from its peer: sending on a route, and where it is. */
export interface ConnectionTransport {
  send(bytes: Uint8Array, route: Route): void;
  readonly local: Endpoint;
  /** Our socket's address for a direct path to `to` (the second family's socket when `to` is of its family); default `local`. */
  readonly localFor?: (to: Endpoint) => Endpoint;
  /** Our relayed address and how we reach its server, when we have an allocation. */
  readonly relay: { readonly relayed: Endpoint; readonly transport: 'udp' | 'tcp' | 'tls' } | null;
  /** A connection sending through our allocation stopped hearing its peer: check the allocation now (rate-limited). */
  readonly checkRelay?: () => void;
  /** False when our socket cannot send UDP to the internet (our relay runs over TCP); default true. */
  readonly udpWorks?: boolean;
}

export interface ConnectionInit {
  readonly session: Session;
  readonly transport: ConnectionTransport;
  readonly finder: DirectPathFinder | null;
  readonly peerRelays: readonly Endpoint[];
  readonly directTargets: readonly Endpoint[];
  readonly relayRoute: Route | null;
  /** The peer's public (server-reflexive) addresses the rendezvous bound to it: where our allocation may reach it. */
  readonly peerPublic?: readonly Endpoint[];
  /** Whether a relayed address the peer announces (relay-moved) is at our natkit server's relay; default: none is. */
  readonly isTrustedRelay?: (relayed: Endpoint) => boolean;
  readonly startedAt: number;
  readonly timing: ConnectionTiming;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onClosed: () => void;
}
