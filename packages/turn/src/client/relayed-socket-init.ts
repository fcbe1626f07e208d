import type { Clock, Endpoint, Logger, UdpSocket } from '@natkit/net';
import type { StunClient } from '@natkit/stun';
import type { TurnSession } from './turn-session.js';

/** What a RelayedSocket is made of: the session and control socket of an allocation, and its terms. */
export interface RelayedSocketInit {
  readonly session: TurnSession;
  readonly stun: StunClient;
  /** The socket (or stream adapter) that talks to the server. */
  readonly control: UdpSocket;
  /** Close `control` when this socket closes (false when the caller shares it). */
  readonly ownsControl: boolean;
  readonly relayed: Endpoint;
  readonly lifetimeSeconds: number;
  /** Lifetime asked for in each Refresh. */
  readonly requestedLifetime: number;
  /** ChannelData padded to 4 bytes (mandatory over TCP/TLS, RFC 8656 §12.5). */
  readonly stream: boolean;
  readonly useChannels: boolean;
  /**
   * UDP only: a STUN Binding request to the server after this long without sending it anything
   * (ms), so that the NAT mapping of the allocation's 5-tuple outlives the minutes between
   * refreshes (RFC 8445 §11: keepalives on every candidate in use). Absent: none.
   */
  readonly keepaliveMs?: number;
  /** Our address as the server saw it at Allocate: a keepalive answer with another means the NAT rebound. */
  readonly mapped?: Endpoint;
  readonly clock: Clock;
  readonly logger: Logger;
}
