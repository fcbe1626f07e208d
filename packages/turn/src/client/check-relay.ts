import { formatEndpoint, systemClock, type Clock, type Endpoint, type Logger, type Network, type TlsClientOptions } from '@natkit/net';
import { allocateRelay, type AllocateOptions, type TurnAllocation, type TurnTransport } from './allocate-relay.js';
import type { LongTermCredentials } from './client-auth-state.js';
import { probeAllocation, type Support } from './probe-support.js';
import { selfEcho, type SelfEchoResult } from './self-echo.js';
import { TurnClientError, type TurnClientErrorCode } from './turn-client-error.js';

export interface RelayCheckOptions {
  readonly server: Endpoint;
  readonly credentials: LongTermCredentials;
  readonly transport?: TurnTransport;
  readonly tls?: TlsClientOptions;
  /** Echo rounds through the relay (default 5). */
  readonly rounds?: number;
  /** Per-echo wait, ms (default 2000). */
  readonly echoTimeoutMs?: number;
  /** Probe IPv6 relaying and TCP (default true). */
  readonly probeSupport?: boolean;
  readonly software?: string;
  readonly signal?: AbortSignal;
}

/** The outcome of a relay check: what works, what the server is, and why not when it failed. */
export interface RelayCheckReport {
  readonly ok: boolean;
  /** Median round trip through the relay and back, ms; null when no echo came back. */
  readonly rttMs: number | null;
  readonly server: string;
  readonly transport: TurnTransport;
  readonly software: string | null;
  readonly relayedAddress: string | null;
  readonly mappedAddress: string | null;
  readonly lifetimeSeconds: number | null;
  readonly echoes: { readonly sent: number; readonly received: number };
  /** How data went through the relay: ChannelData once a channel is bound, else Send/Data indications. */
  readonly dataPath: 'channel-data' | 'indications' | null;
  readonly supports: {
    readonly sha256Integrity: boolean | null;
    readonly userhash: boolean | null;
    readonly ipv6: Support;
    readonly tcp: Support;
  };
  readonly redirectedTo: string | null;
  readonly error: { readonly code: TurnClientErrorCode | 'ERR_TURN_NO_ECHO'; readonly status: number | null; readonly message: string } | null;
}

/**
 * Diagnoses a TURN server, ours or anyone's: allocates with the given credentials, installs a
 * permission for our own address, sends through the relay to ourselves and back (round-trip time),
 * and probes what the server supports (SHA-256 integrity, an IPv6 relayed address, TCP).
 */
export async function checkRelay(
  options: RelayCheckOptions,
  components: { readonly network: Network; readonly clock?: Clock; readonly logger?: Logger },
): Promise<RelayCheckReport> {
  const clock = components.clock ?? systemClock;
  const transport = options.transport ?? 'udp';
  const base: AllocateOptions = {
    server: options.server,
    credentials: options.credentials,
    transport,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.software === undefined ? {} : { software: options.software }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const report = emptyReport(options.server, transport);
  let allocation: TurnAllocation;
  try {
    allocation = await allocateRelay(base, { network: components.network, clock, ...(components.logger ? { logger: components.logger } : {}) });
  } catch (e) {
    return { ...report, error: describe(e) };
  }
  const found: RelayCheckReport = {
    ...report,
    software: allocation.software ?? null,
    relayedAddress: formatEndpoint(allocation.relayed),
    mappedAddress: allocation.mapped === undefined ? null : formatEndpoint(allocation.mapped),
    lifetimeSeconds: allocation.lifetimeSeconds,
    redirectedTo: allocation.redirects.length > 0 ? formatEndpoint(allocation.server) : null,
  };
  const echoed = await echoThroughRelay(allocation, options, { network: components.network, clock });
  if ('error' in echoed) return { ...found, error: echoed.error };
  const { echo, dataPath } = echoed;
  const supports = await probeSupports({ ...base, server: allocation.server }, allocation, options.probeSupport !== false, { network: components.network, clock });
  const ok = echo.received > 0;
  return {
    ...found,
    ok,
    rttMs: median(echo.rttsMs),
    echoes: { sent: echo.sent, received: echo.received },
    dataPath: ok ? dataPath : null,
    supports,
    error: ok ? null : {
      code: 'ERR_TURN_NO_ECHO',
      status: null,
      message: `relay refused: allocated ${formatEndpoint(allocation.relayed)}, but nothing sent through it came back (the server may refuse to relay to our own address)`,
    },
  };
}

type Components = { readonly network: Network; readonly clock: Clock };

/** The self-echo, then the allocation is deleted whatever happened. */
async function echoThroughRelay(
  allocation: TurnAllocation,
  options: RelayCheckOptions,
  components: Components,
): Promise<{ echo: SelfEchoResult; dataPath: 'channel-data' | 'indications' } | { error: NonNullable<RelayCheckReport['error']> }> {
  const { socket } = allocation;
  try {
    const echo = await selfEcho(socket, allocation.server, {
      rounds: options.rounds ?? 5,
      timeoutMs: options.echoTimeoutMs ?? 2000,
      ...(allocation.mapped === undefined ? {} : { mapped: allocation.mapped }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }, components);
    return { echo, dataPath: socket.channelOf(echo.peer) !== undefined ? 'channel-data' : 'indications' };
  } catch (e) {
    return { error: describe(e) };
  } finally {
    await socket.close();
  }
}

/** SHA-256 integrity from the allocation itself; IPv6 relaying and TCP by side allocations. */
async function probeSupports(
  base: AllocateOptions,
  allocation: TurnAllocation,
  probe: boolean,
  components: Components,
): Promise<RelayCheckReport['supports']> {
  const transport = base.transport ?? 'udp';
  const ipv6 = probe ? await probeAllocation(base, { family: 6 }, [440], components) : null;
  // Over TLS the plain-TCP port is another one: not probed.
  const tcp = transport === 'tcp' ? true : transport === 'udp' && probe ? await probeAllocation(base, { transport: 'tcp' }, [442], components) : null;
  return { sha256Integrity: allocation.integritySha256, userhash: allocation.userhash, ipv6, tcp };
}

function emptyReport(server: Endpoint, transport: TurnTransport): RelayCheckReport {
  return {
    ok: false, rttMs: null, server: formatEndpoint(server), transport, software: null, relayedAddress: null,
    mappedAddress: null, lifetimeSeconds: null, echoes: { sent: 0, received: 0 }, dataPath: null,
    supports: { sha256Integrity: null, userhash: null, ipv6: null, tcp: null }, redirectedTo: null, error: null,
  };
}

function describe(e: unknown): NonNullable<RelayCheckReport['error']> {
  if (e instanceof TurnClientError) return { code: e.code as TurnClientErrorCode, status: e.status ?? null, message: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { code: 'ERR_TURN_CLOSED', status: null, message: 'aborted' };
  throw e;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const m = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Math.round(m * 1000) / 1000;
}
