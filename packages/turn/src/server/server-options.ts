import type { Clock, Logger, Network } from '@natkit/net';
import type { AllocateRedirect } from './allocate-redirect.js';

/** Quotas. RFC 8656 §7.2 (486, 508); per-allocation caps are local policy. */
export interface TurnQuotas {
  /** Allocations one user name may hold at once (486 beyond). Default 64. */
  readonly allocationsPerUser?: number;
  /** Allocations in total (508 beyond; the relay port range is a second bound). Default 10,000. */
  readonly allocations?: number;
  /** Peer IPs with a permission, per allocation (508 beyond). Default 64. */
  readonly permissionsPerAllocation?: number;
  /** Channel bindings per allocation (508 beyond). Default 64. */
  readonly channelsPerAllocation?: number;
  /** Relayed bytes per second per allocation and direction; 0 (default) is unlimited. */
  readonly bandwidthBytesPerSecond?: number;
}

export interface TurnServerOptions {
  /** REALM. Default 'natkit'. */
  readonly realm?: string;
  /** Static long-term users (`--user NAME:PASSWORD`). */
  readonly users?: ReadonlyMap<string, string>;
  /**
   * TURN REST shared secrets (`--auth-secret`), all accepted. Without them the server
   * generates a secret at start for the credentials it mints itself (`mintCredentials`, what the
   * rendezvous hands its peers), also when `users` are given; with neither, only those are accepted.
   */
  readonly authSecrets?: readonly string[];
  /** Relay port range, inclusive (`--relay-ports`). Default 49152-65535. */
  readonly relayPorts?: { readonly low: number; readonly high: number };
  /**
   * Addresses to bind relay sockets on, at most one per family (`--relay-address`). Without
   * one for a family: the address the client reached, or the local address routing to it.
   */
  readonly relayAddresses?: readonly string[];
  /** Public addresses announced in XOR-RELAYED-ADDRESS behind a 1:1 NAT, one per family. */
  readonly advertisedRelayAddresses?: readonly string[];
  /** CIDRs opened although special (`--allow-peer`), e.g. 127.0.0.0/8 for loopback tests. */
  readonly allowPeers?: readonly string[];
  /** CIDRs closed (`--deny-peer`); win over `allowPeers`. */
  readonly denyPeers?: readonly string[];
  readonly quotas?: TurnQuotas;
  /** Longest allocation lifetime granted, seconds. Default 3600 (RFC 8656 §7.2). */
  readonly maxLifetimeSeconds?: number;
  /** Nonce validity, seconds (438 after). Default 600, like coturn's --stale-nonce. */
  readonly nonceLifetimeSeconds?: number;
  /** 401/438 replies per source IP: burst and sustained rate. Default 16 and 8/s. */
  readonly unauthenticatedReplies?: { readonly burst: number; readonly perSecond: number };
  /**
   * Accept ChannelBind for channels 0x5000-0x7FFF too (RFC 5766 §11), as coturn does with
   * --rfc5766-channel-numbers: coturn 4.6's turnutils_uclient picks channels up to 0x7FFF.
   * Default false: RFC 8656 §12.2 answers 400 outside 0x4000-0x4FFF.
   */
  readonly rfc5766ChannelNumbers?: boolean;
  /** SOFTWARE in success responses; omitted when undefined. 401/438 never carry it (smaller). */
  readonly software?: string;
  /**
   * The secret of self-issued credentials (no authSecrets) instead of one generated at start:
   * processes serving one realm together (`natkit serve --workers`) accept each other's credentials.
   */
  readonly selfIssuedSecret?: string;
  /**
   * With `selfIssuedSecret` and static `users`: every process sharing the secret hands the others
   * each credential it mints (`rememberIssued`), so that USERHASH can be offered here too (a name
   * is found from its hash only where it is known). Default false: USERHASH is then not offered
   * with a shared secret, since a name minted elsewhere could not be found.
   */
  readonly issuedNamesShared?: boolean;
  /**
   * The whole relay port range when processes serving one realm split it (`natkit serve
   * --workers`): a port of this range outside `relayPorts`, on this server's own address, is a
   * sibling's relayed address and accepted as a peer (relay to relay across processes).
   */
  readonly siblingRelayPorts?: { readonly low: number; readonly high: number };
}

export interface TurnServerComponents {
  readonly network: Network;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Unix time in seconds, for REST credential expiry. Default Date.now()/1000. */
  readonly wallSeconds?: () => number;
  /** Random bytes (nonce secret, generated REST secret, reservation tokens, port choice). */
  readonly random?: (n: number) => Uint8Array;
  /** Answers UDP Allocates with 300 ALTERNATE-SERVER where this returns an endpoint (a front for workers). */
  readonly redirect?: AllocateRedirect;
}

export const DEFAULT_REALM = 'natkit';
export const DEFAULT_RELAY_PORTS = { low: 49152, high: 65535 } as const;
export const DEFAULT_QUOTAS = {
  allocationsPerUser: 64,
  allocations: 10_000,
  permissionsPerAllocation: 64,
  channelsPerAllocation: 64,
  bandwidthBytesPerSecond: 0,
} as const;
export const DEFAULT_NONCE_LIFETIME_S = 600;
export const DEFAULT_UNAUTHENTICATED_REPLIES = { burst: 16, perSecond: 8 } as const;
/** Sources the 401/438 limiter remembers at most (its memory bound). */
export const RATE_LIMIT_SOURCES = 65_536;
