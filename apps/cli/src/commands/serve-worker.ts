import { createConsoleLogger, createNodeNetwork, type Endpoint, type LogLevel, type TlsServerOptions } from '@natkit/net';
import { createStunServer } from '@natkit/stun';
import type { IssuedName, TurnServerOptions, TurnServerStats } from '@natkit/turn';
import { forwardToRendezvous, type HandoffTarget } from './rendezvous-handoff.js';
import { createRelay, sharingNetwork } from './serve-relay.js';
import { isTcpPortTaken, startStreamServer, type StreamServer } from './serve-streams.js';

/** What the primary sends a worker (over the cluster IPC channel, 'advanced' serialization). */
export interface WorkerConfig {
  readonly index: number;
  readonly address: string;
  /** This worker's own UDP port (0: ephemeral), or the main port shared with SO_REUSEPORT. */
  readonly udpPort: number;
  /** `udpPort` is the main port, shared by all workers (SO_REUSEPORT). */
  readonly reusePort: boolean;
  /** The main port: TCP (and TLS) there is one listener shared by all workers (node:cluster). */
  readonly tcpPort: number;
  readonly tls?: TlsServerOptions;
  readonly tlsPort: number;
  /** The relay options, with this worker's relay port slice and the shared self-issued secret. */
  readonly relay: TurnServerOptions;
  readonly logLevel: LogLevel;
  /** Where the primary takes rendezvous connections (its presence is the one for all). */
  readonly rendezvous: HandoffTarget;
  /** Ports the server listens on that are known before the workers start (refused as peers). */
  readonly listeners: readonly Endpoint[];
}

export type PrimaryMessage =
  | { readonly type: 'config'; readonly config: WorkerConfig }
  /** Every process's listening endpoints, once known (ephemeral ports, a restarted worker's). */
  | { readonly type: 'listeners'; readonly endpoints: readonly Endpoint[] }
  /** Credentials the primary minted (its rendezvous), for USERHASH lookup here. */
  | { readonly type: 'issued'; readonly names: readonly IssuedName[] }
  | { readonly type: 'stop' };

export type WorkerMessage =
  | { readonly type: 'waiting' }
  /** `listeners`: its UDP sockets and TCP/TLS listeners. */
  | { readonly type: 'ready'; readonly udp: readonly Endpoint[]; readonly lines: readonly string[]; readonly listeners: readonly Endpoint[] }
  /** `tcpPortTaken`: the shared TCP listener's port number is in use (see isTcpPortTaken). */
  | { readonly type: 'failed'; readonly message: string; readonly tcpPortTaken: boolean }
  | { readonly type: 'stopped'; readonly relay: TurnServerStats };

/** A running worker: its own STUN/TURN UDP port, and its share of the TCP/TLS connections. */
export interface ServeWorker {
  readonly udp: readonly Endpoint[];
  readonly lines: readonly string[];
  readonly listeners: readonly Endpoint[];
  /** Applies a 'listeners' or 'issued' message to its relay. */
  apply(m: PrimaryMessage): void;
  close(): Promise<TurnServerStats>;
}

/** Starts a worker's servers from its config. Throws what the servers throw (a busy port). */
export async function startServeWorker(config: WorkerConfig): Promise<ServeWorker> {
  const logger = createConsoleLogger({ level: config.logLevel, write: (s) => process.stderr.write(s) }).child(`worker ${config.index}`);
  const nodeNetwork = createNodeNetwork({ receiveBufferSize: 4 << 20, ...(config.reusePort ? { reusePorts: [config.udpPort] } : {}) });
  const relay = createRelay(config.relay, nodeNetwork, logger);
  const server = createStunServer(
    { primary: { address: config.address, port: config.udpPort }, software: 'natkit' },
    { network: sharingNetwork(nodeNetwork, (s) => relay.attachUdpSocket(s)), logger },
  );
  let streams: StreamServer | undefined;
  try {
    await server.start();
    streams = await startStreamServer(
      { address: config.address, port: config.tcpPort, tlsPort: config.tlsPort, shared: true, ...(config.tls === undefined ? {} : { tls: config.tls }) },
      relay,
      { handoff: forwardToRendezvous(config.rendezvous, nodeNetwork, logger) },
      nodeNetwork,
      logger,
    );
  } catch (e) {
    await relay.close();
    await server.close();
    throw e;
  }
  const opened = streams;
  relay.addListeners([...config.listeners, ...opened.endpoints]);
  return {
    udp: server.addresses(),
    lines: opened.lines,
    listeners: [...server.addresses(), ...opened.endpoints],
    apply: (m) => {
      if (m.type === 'listeners') relay.addListeners(m.endpoints);
      else if (m.type === 'issued') relay.rememberIssued(m.names);
    },
    close: async () => {
      const stats = relay.stats();
      await opened.close();
      await relay.close();
      await server.close();
      return stats;
    },
  };
}

/**
 * The body of a worker process: waits for its config, serves until told to stop, and exits when
 * the primary goes away (the IPC channel closes: no orphans) or on SIGTERM/SIGINT.
 */
export function runServeWorkerProcess(): void {
  const send = (m: WorkerMessage): Promise<void> =>
    new Promise((resolve) => {
      if (process.send === undefined || !process.connected) return resolve();
      process.send(m, undefined, {}, () => resolve());
    });
  let worker: ServeWorker | undefined;
  /** 'listeners' and 'issued' messages that came while the worker was starting. */
  const early: PrimaryMessage[] = [];
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const stats = await worker?.close();
    if (stats !== undefined) await send({ type: 'stopped', relay: stats });
    process.exit(0);
  };
  process.on('message', (m: PrimaryMessage) => {
    if (m.type === 'stop') void stop();
    if (m.type === 'listeners' || m.type === 'issued') {
      if (worker === undefined) early.push(m);
      else worker.apply(m);
    }
    if (m.type !== 'config' || worker !== undefined) return;
    startServeWorker(m.config).then(
      (w) => {
        worker = w;
        for (const e of early.splice(0)) w.apply(e);
        void send({ type: 'ready', udp: w.udp, lines: w.lines, listeners: w.listeners });
      },
      (e: unknown) => {
        void send({ type: 'failed', message: e instanceof Error ? e.message : String(e), tcpPortTaken: isTcpPortTaken(e) }).then(() => process.exit(1));
      },
    );
  });
  process.on('disconnect', () => void stop());
  // An ESM worker listens only after cluster's 'online': it asks for its config once it does.
  void send({ type: 'waiting' });
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
