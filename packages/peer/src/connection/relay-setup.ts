import { formatEndpoint, type Clock, type Endpoint, type Logger, type Network, type UdpSocket } from '@natkit/net';
import type { RelayCredentials } from '@natkit/rendezvous';
import { allocateRelay, type TurnAllocation } from '@natkit/turn';
import type { Route } from './path.js';

/** How the peer reaches its relay: allocations from its own UDP socket, or over TCP when UDP is blocked. */
export type RelayMode = 'auto' | 'udp' | 'tcp' | false;

/** The UDP attempt gives up after ~1.5 s (sends at 0, 200, 600 ms) before TCP is tried. */
const QUICK_UDP_POLICY = { rtoMs: 200, rc: 3, rm: 4, maxRtoMs: 800 };

export interface RelaySetup {
  readonly allocation: TurnAllocation | null;
  /** True when UDP from our own socket reached the server (an allocation over UDP answered). */
  readonly udpWorks: boolean;
  /** Why there is no allocation, when there is none. */
  readonly problem: string | null;
}

export interface RelaySetupDeps {
  readonly network: Network;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Over UDP: keepalives to the server this often (ms) when idle, below the NAT's mapping lifetime (see allocateRelay). */
  readonly keepaliveMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Allocates on the natkit server's relay with the rendezvous-issued credentials: over UDP from
 * the peer's one socket first (which also tells its server-reflexive address), then over TCP
 * on the same port number (a host that cannot send UDP).
 */
export async function setupRelay(
  mode: RelayMode,
  server: Endpoint,
  credentials: RelayCredentials | null,
  socket: UdpSocket,
  deps: RelaySetupDeps,
): Promise<RelaySetup> {
  if (mode === false) return { allocation: null, udpWorks: true, problem: 'relay off' };
  if (credentials === null) return { allocation: null, udpWorks: true, problem: `the server at ${formatEndpoint(server)} hands out no relay credentials (natkit serve --no-relay?)` };
  const creds = { username: credentials.username, password: credentials.password };
  const signal = deps.signal === undefined ? {} : { signal: deps.signal };
  const problems: string[] = [];
  if (mode !== 'tcp') {
    try {
      const keepalive = deps.keepaliveMs === undefined ? {} : { keepaliveMs: deps.keepaliveMs };
      const allocation = await allocateRelay({ server, credentials: creds, transport: 'udp', policy: QUICK_UDP_POLICY, ...keepalive, ...signal }, { network: deps.network, clock: deps.clock, logger: deps.logger, socket });
      return { allocation, udpWorks: true, problem: null };
    } catch (e) {
      problems.push(`UDP: ${e instanceof Error ? e.message : String(e)}`);
      if (mode === 'udp') return { allocation: null, udpWorks: false, problem: problems.join('; ') };
    }
  }
  try {
    const allocation = await allocateRelay({ server, credentials: creds, transport: 'tcp', ...signal }, { network: deps.network, clock: deps.clock, logger: deps.logger });
    return { allocation, udpWorks: mode === 'tcp', problem: null };
  } catch (e) {
    problems.push(`TCP: ${e instanceof Error ? e.message : String(e)}`);
    return { allocation: null, udpWorks: false, problem: problems.join('; ') };
  }
}

/**
 * The first route to a peer through a relay. With UDP: from our socket to the peer's relayed
 * address. Without (our relay runs over TCP): through our own allocation, to the peer's relayed
 * address when it has one (relay to relay: works whatever the peer's NAT filters, and when the
 * peer is UDP-blocked too), else to its public address. Null without any relay.
 */
export function relayRouteFor(setup: RelaySetup, peer: { readonly relays: readonly Endpoint[]; readonly publicAddresses: readonly Endpoint[]; readonly observed: Endpoint }): Route | null {
  const peerRelay = peer.relays[0];
  if (setup.udpWorks && peerRelay !== undefined) return { via: 'socket', to: peerRelay };
  if (setup.allocation === null) return null;
  return { via: 'allocation', to: peerRelay ?? peer.publicAddresses[0] ?? peer.observed };
}
