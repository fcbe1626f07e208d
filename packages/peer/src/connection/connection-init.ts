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
}

export interface ConnectionInit {
  readonly session: Session;
  readonly transport: ConnectionTransport;
  readonly finder: DirectPathFinder | null;
  readonly peerRelays: readonly Endpoint[];
  readonly directTargets: readonly Endpoint[];
  readonly relayRoute: Route | null;
  readonly startedAt: number;
  readonly timing: ConnectionTiming;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onClosed: () => void;
}
