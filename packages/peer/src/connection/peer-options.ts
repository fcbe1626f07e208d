import type { Endpoint, Logger, Clock, Network, UdpSocket } from '@natkit/net';
import type { Identity } from '@natkit/identity';
import type { PunchLimits } from '@natkit/punch';
import type { Candidate, RendezvousClient, WireEndpoint } from '@natkit/rendezvous';
import type { SecondFamily } from './second-family.js';
import type { ConnectionTimingOptions } from './connection-timing.js';
import type { DirectPathFinder } from './direct-path-finder.js';
import type { NatMeasurement, NatSource } from './nat-measurement.js';
import type { RelayMode, RelaySetup } from './relay-setup.js';

/** Also the connections' liveness timing (keepalive from the mapping lifetime, consent, re-probe, idle close): see ConnectionTimingOptions. */
export interface PeerOptions extends ConnectionTimingOptions {
  /** The natkit server (STUN, TURN and rendezvous on one port number): an IP literal and port. */
  readonly server: Endpoint;
  readonly identity: Identity;
  /**
   * The natkit server's IPv6 address and STUN port, when `server` is its IPv4 one (dual stack).
   * The peer then opens a second UDP socket (IPv6), measures it, offers its candidates too, and
   * proves its address to the rendezvous (an address token echoed in a STUN Binding from that
   * socket, protocol v2); two peers with verified IPv6 addresses try a direct IPv6 path first,
   * then IPv4 punching, then the relay. Without IPv6 on the host, or against a server without
   * IPv6, the peer works on IPv4 alone, as without this option.
   */
  readonly server6?: Endpoint;
  /** Default `ws://SERVER/rendezvous`. */
  readonly rendezvousUrl?: string;
  /** 'auto' (UDP, then TCP when UDP is blocked), 'udp', 'tcp', or false (no relay). */
  readonly relay?: RelayMode;
  /** Look for a direct path (default true); false keeps every connection on the relay. */
  readonly directPath?: boolean;
  /**
   * A fixed direct-path strategy for every connection (e.g. simultaneousOpen()). By default each
   * connection plans its own from both NAT profiles (@natkit/punch: simultaneous open, port
   * prediction, birthday paradox, same NAT, or the relay with the reason).
   */
  readonly finder?: DirectPathFinder;
  /**
   * Where the NAT profile comes from: 'diagnose' (default, against the natkit server), 'skip'
   * (unknown: only simultaneous open is tried), or a profile (tests, or one measured before).
   */
  readonly nat?: NatSource;
  /** Bounds of the punch attempts (sockets, probes, rate, duration); @natkit/punch defaults. */
  readonly punchLimits?: Partial<PunchLimits>;
  /** Re-measures the NAT when the host's interface addresses change, polled this often (ms); default 10 s, false: never. */
  readonly watchNetworkMs?: number | false;
  /** Time a connect() waits for the handshake, ms; default 10 s. */
  readonly connectTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface PeerComponents {
  readonly network: Network;
  readonly clock?: Clock;
  /** Wall-clock milliseconds (Unix epoch) for the handshake timestamps; default Date.now. */
  readonly wallClock?: () => number;
  readonly logger?: Logger;
}

/** What createPeer set up for the Peer (the Peer constructor's input; use createPeer()). */
export interface PeerSetup {
  readonly socket: UdpSocket;
  readonly local: Endpoint;
  readonly rendezvous: RendezvousClient;
  readonly relay: RelaySetup;
  readonly nat: NatMeasurement;
  readonly candidates: readonly Candidate[];
  /** The second-family socket (see PeerOptions.server6), or null. */
  readonly second: SecondFamily | null;
  /** Our address of the second family as the rendezvous verified it, or null. */
  readonly verified: WireEndpoint | null;
  readonly network: Network;
  /** Time from the start of createPeer to ready (registered, relay allocated), ms. */
  readonly readyMs: number;
  /** PeerComponents.wallClock (default Date.now). */
  readonly wallClock?: () => number;
}
