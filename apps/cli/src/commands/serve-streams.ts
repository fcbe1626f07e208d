import { readFileSync } from 'node:fs';
import { formatEndpoint, familyOf, NetworkError, type Endpoint, type Logger, type StreamConnection, type StreamListener, type StreamNetwork, type TlsServerOptions } from '@natkit/net';
import { StunError } from '@natkit/stun';
import { createRendezvousServer, RENDEZVOUS_PATH, type RendezvousServer, type RendezvousServerStats } from '@natkit/rendezvous';
import { createPortMux, createTurnStreamRoute, type PortMuxStats, type TurnClientHandler, type TurnServer, type TurnStreamStats } from '@natkit/turn';

/** A --workers process's HTTP slot: rendezvous connections go to the primary. */
export interface RendezvousHandoff {
  readonly handoff: (connection: StreamConnection, firstBytes: Uint8Array) => void;
}

/** The TCP/TLS flags of `natkit serve`. */
export interface StreamServeFlags {
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsPort?: string;
}

/** RFC 8656 §3.1: TURN over TLS listens on 5349 by default. */
export const DEFAULT_TLS_PORT = 5349;

/**
 * Whether a start failed because the TCP listener could not have the port number of the UDP port
 * (with --port 0 the kernel picks the UDP port; the same number may be in use on TCP).
 */
export function isTcpPortTaken(e: unknown): boolean {
  return e instanceof NetworkError && e.code === 'ERR_LISTEN' && (e.cause as { code?: unknown } | undefined)?.code === 'EADDRINUSE';
}

/** Where and how the stream listeners serve. */
export interface StreamServeConfig {
  readonly address: string;
  /** The main port: the same number as UDP. */
  readonly port: number;
  readonly tls?: TlsServerOptions;
  readonly tlsPort: number;
  /** Share the listeners with the other node:cluster workers (exclusive: false). */
  readonly shared?: boolean;
}

export interface StreamServer {
  /** Lines for the startup output: each listener, its transports. */
  readonly lines: readonly string[];
  /** Where the listeners listen (the main port, and the TLS port with a certificate). */
  readonly endpoints: readonly Endpoint[];
  stats(): { mux: PortMuxStats; turn: TurnStreamStats; rendezvous?: RendezvousServerStats };
  close(): Promise<void>;
}

/** Reads `--tls-cert`/`--tls-key` (PEM files) and `--tls-port`; throws ERR_USAGE on a bad combination. */
export function parseTlsFlags(flags: StreamServeFlags, parsePort: (v: string | undefined, name: string, fallback: number) => number): { tls?: TlsServerOptions; tlsPort: number } {
  const tlsPort = parsePort(flags.tlsPort, '--tls-port', DEFAULT_TLS_PORT);
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) {
    if (flags.tlsPort !== undefined) throw new StunError('ERR_USAGE', '--tls-port needs --tls-cert and --tls-key');
    return { tlsPort };
  }
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) throw new StunError('ERR_USAGE', 'TLS needs both --tls-cert FILE and --tls-key FILE');
  return { tls: { cert: readPem(flags.tlsCert, '--tls-cert'), key: readPem(flags.tlsKey, '--tls-key') }, tlsPort };
}

function readPem(path: string, name: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable';
    throw new StunError('ERR_USAGE', `${name}: cannot read ${path} (${code})`);
  }
}

/** Lifetime of the relay credentials the rendezvous hands each registered peer. */
export const RENDEZVOUS_RELAY_TTL_SECONDS = 600;

/**
 * The rendezvous (@natkit/rendezvous) for the HTTP slot: WebSocket upgrades on RENDEZVOUS_PATH,
 * each registered peer given short-lived REST credentials minted by this server's relay. `urls`
 * lists the advertised addresses when given; otherwise peers use the address they reached.
 */
export function createServeRendezvous(relay: Pick<TurnServer, 'mintCredentials'>, advertised: readonly string[], port: number, logger: Logger): RendezvousServer {
  const urls = advertised.map((a) => `turn:${a.includes(':') ? `[${a}]` : a}:${port}`);
  return createRendezvousServer({}, {
    logger,
    mintRelayCredentials: (peerId) => {
      const c = relay.mintCredentials(peerId, RENDEZVOUS_RELAY_TTL_SECONDS);
      return { username: c.username, password: c.password, ttl: RENDEZVOUS_RELAY_TTL_SECONDS, urls };
    },
  });
}

/**
 * Opens TCP on the main port (TURN, TLS when configured, and the HTTP slot, told apart by first
 * bytes) and, with a certificate, TLS on the TLS port. `handler` is the TURN server's transport
 * contract. Relayed data is dropped, never queued without bound, for a client that reads slowly.
 */
export async function startStreamServer(cfg: StreamServeConfig, handler: TurnClientHandler, httpSlot: RendezvousServer | RendezvousHandoff, network: StreamNetwork, logger: Logger): Promise<StreamServer> {
  const rendezvous = 'handoff' in httpSlot ? null : httpSlot;
  const family = familyOf(cfg.address) ?? 4;
  const turn = createTurnStreamRoute(handler, { logger });
  // A --workers process hands rendezvous connections to the primary (presence lives there).
  const http = (connection: StreamConnection, firstBytes: Uint8Array): void =>
    rendezvous === null ? (httpSlot as RendezvousHandoff).handoff(connection, firstBytes) : rendezvous.handleStream(connection, firstBytes);
  const mux = createPortMux({ turn, http }, cfg.tls === undefined ? {} : { tls: cfg.tls }, { logger });
  const limits = { maxWriteBuffer: 512 * 1024, overflow: 'drop' as const, exclusive: cfg.shared !== true };
  const listeners: StreamListener[] = [];
  const lines: string[] = [];
  try {
    const main = await network.listenTcp({ family, address: cfg.address, port: cfg.port, ...limits });
    listeners.push(main);
    mux.attach(main);
    const where = `${formatEndpoint(main.local)}${cfg.tls === undefined ? '' : ' (and TLS on the same port)'}`;
    const served = `the rendezvous (WebSocket, natkit-rendezvous.v2) there at ws://${formatEndpoint(main.local)}${RENDEZVOUS_PATH}, relay credentials minted per peer (${RENDEZVOUS_RELAY_TTL_SECONDS} s)`;
    lines.push(`TURN on TCP ${where}; ${served}${rendezvous === null ? ' (presence kept by the primary process: connections handed to it over loopback)' : ''}`);
    if (cfg.tls !== undefined) {
      const tlsListener = await network.listenTcp({ family, address: cfg.address, port: cfg.tlsPort, ...limits });
      listeners.push(tlsListener);
      mux.attach(tlsListener, { tlsOnly: true });
      lines.push(`TURN on TLS ${formatEndpoint(tlsListener.local)}`);
    }
  } catch (e) {
    await Promise.all(listeners.map((l) => l.close()));
    throw e;
  }
  return {
    lines,
    endpoints: listeners.map((l) => l.local),
    stats: () => ({ mux: mux.stats(), turn: turn.stats(), ...(rendezvous === null ? {} : { rendezvous: rendezvous.stats() }) }),
    close: async () => {
      await rendezvous?.close();
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}
