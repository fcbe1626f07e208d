import { isSameEndpoint, type Endpoint, type Timer, type UdpSocket } from '@natkit/net';
import type { IssuedName } from '../auth/credential-store.js';
import type { RestCredentials } from '../auth/rest-credentials.js';
import { setAllocateRedirect } from './allocate-redirect.js';
import { buildCore, type TurnAuthMode } from './build-core.js';
import type { ChannelOffloadStatus } from './channel-offload.js';
import type { ClientContext, TurnClientHandler } from './client-transport.js';
import { handleClientData } from './handle-client-data.js';
import type { TurnServerComponents, TurnServerOptions } from './server-options.js';
import type { TurnServerStats } from './server-stats.js';
import type { TurnCore } from './turn-core.js';
import { isWildcard, UdpAttachments } from './udp-attachments.js';

export type { TurnAuthMode } from './build-core.js';

/**
 * A TURN server (RFC 8656) core. It owns no listening socket: UDP sockets are attached (and
 * detached) at run time and may be shared with other protocol handlers (the STUN server gets
 * the Binding requests); TCP/TLS listeners call `handleClientData` / `connectionClosed`.
 */
export interface TurnServer extends TurnClientHandler {
  /**
   * Serves TURN on a UDP socket (RFC 7983 demux: STUN methods other than Binding, and
   * ChannelData). Returns a function that detaches it and deletes the allocations made over it.
   */
  attachUdpSocket(socket: UdpSocket): () => void;
  /**
   * Endpoints listened on beyond the attached UDP sockets: its TCP/TLS listeners, and the ports
   * of processes serving with it (`natkit serve --workers`). Their ports, on this server's own
   * addresses, are refused as peers (403) even inside `allowPeers`, and never bound as relay ports.
   */
  addListeners(endpoints: readonly Endpoint[]): void;
  /** Ephemeral REST credentials from the first secret (or the one generated at start). */
  mintCredentials(user: string, ttlSeconds?: number): RestCredentials;
  /**
   * Credentials minted by another process with the same `selfIssuedSecret`
   * (`issuedNamesShared`): remembered so that a client naming itself by USERHASH is found here.
   * Ignored where USERHASH is not offered.
   */
  rememberIssued(names: readonly IssuedName[]): void;
  /** The self-issued names this server knows for USERHASH (minted here or handed over), unexpired. */
  issuedNames(): IssuedName[];
  readonly realm: string;
  readonly authModes: readonly TurnAuthMode[];
  /** USERHASH (RFC 8489 username anonymity) is offered in the nonce. */
  readonly offersUserhash: boolean;
  readonly relayPorts: { readonly low: number; readonly high: number };
  /** Whether ChannelData may go through the sockets' fast path (see ChannelOffload), or why not. */
  readonly channelOffload: ChannelOffloadStatus;
  stats(): TurnServerStats;
  /** Deletes every allocation, closes relay sockets, detaches; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Period of the sweep of expired allocations, permissions, channels and reservations. */
const SWEEP_MS = 1000;

/** Creates a TURN server core. Throws TurnError `ERR_TURN_CONFIG` for options it cannot serve. */
export function createTurnServer(options: TurnServerOptions, components: TurnServerComponents): TurnServer {
  const built = buildCore(options, components);
  const { core } = built;
  setAllocateRedirect(core, components.redirect);
  const sockets = new UdpAttachments(core);
  core.udpListenerFor = (local) => sockets.socketAt(local);
  let timer: Timer | undefined;
  const sweep = (): void => {
    core.sweep(core.clock.now());
    sockets.prune();
    timer = core.closed ? undefined : core.clock.setTimeout(sweep, SWEEP_MS);
  };
  timer = core.clock.setTimeout(sweep, SWEEP_MS);
  const close = async (): Promise<void> => {
    if (core.closed) return;
    core.closed = true;
    timer?.cancel();
    sockets.detachAll();
    for (const a of [...core.table.values()]) core.deleteAllocation(a.key, 'server closed');
    await Promise.all(core.reservations.drain().map((s) => core.ports.close(s).catch(() => undefined)));
    core.logger.info('closed', { ...snapshot(core) });
  };
  core.logger.info('TURN relay ready', { realm: built.realm, authModes: built.authModes, relayPorts: `${built.ports.low}-${built.ports.high}` });
  return {
    realm: built.realm,
    authModes: built.authModes,
    offersUserhash: built.offersUserhash,
    rememberIssued: (names) => built.issued.remember(names),
    issuedNames: () => built.issued.list(),
    relayPorts: built.ports,
    channelOffload: core.offload.status,
    attachUdpSocket: (socket) => sockets.attach(socket),
    addListeners: (endpoints) => addListeners(core, endpoints),
    handleClientData: (bytes, ctx) => !core.closed && handleClientData(core, bytes, ctx),
    connectionClosed: (ctx) => closeConnection(core, ctx),
    mintCredentials: (user, ttlSeconds = 86_400) => built.mintCredentials(user, ttlSeconds),
    stats: () => snapshot(core),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function addListeners(core: TurnCore, endpoints: readonly Endpoint[]): void {
  const addresses = endpoints.map((e) => e.address).filter((a) => !isWildcard(a));
  core.filter = core.filter.withOwnAddresses(addresses, endpoints.map((e) => e.port));
}

/** RFC 8656 §3.1: closing a TCP/TLS control connection deletes its allocation. */
function closeConnection(core: TurnCore, ctx: ClientContext): void {
  for (const a of [...core.table.values()]) {
    const t = a.fiveTuple;
    if (t.transport === ctx.transport && t.connectionId === ctx.connectionId && isSameEndpoint(t.client, ctx.client)) {
      core.deleteAllocation(a.key, 'control connection closed');
    }
  }
}

function snapshot(core: TurnCore): TurnServerStats {
  return core.counters.snapshot({
    allocations: core.table.size,
    pendingAllocations: core.table.pendingCount,
    reservations: core.reservations.size,
    limitedSources: core.limiter.size,
    cachedResponses: core.responses.size,
  }, core.offload.stats());
}
