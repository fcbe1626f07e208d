import { createConsoleLogger, createNodeNetwork, formatEndpoint, udpBatchStatus, udpReusePortSupported, type Endpoint, type Logger, type Network } from '@natkit/net';
import { createStunServer, StunError, type StunServer } from '@natkit/stun';
import type { RendezvousServer } from '@natkit/rendezvous';
import type { TurnServer, TurnServerOptions } from '@natkit/turn';
import { ExitCode } from '../exit-codes.js';
import type { Io } from './diagnose.js';
import { parseServeFlags, type ServeFlags, type ServeOptions } from './serve-flags.js';
import { createRelay, relayStartupLines, sharingNetwork } from './serve-relay.js';
import { createServeRendezvous, isTcpPortTaken, startStreamServer, type StreamServer } from './serve-streams.js';
import { startRendezvousHandoff, type HandoffTarget } from './rendezvous-handoff.js';
import { startServeWorkers, type WorkerPool } from './serve-workers-start.js';
import { ServeUdpSockets } from './serve-udp-sockets.js';

export type { ServeFlags } from './serve-flags.js';

/** What runServe has started so far; closeServe closes it, also after a failed start. */
interface Running {
  /** The primary STUN server, once started. */
  server?: StunServer;
  /** The IPv6 STUN server (--address6), once created. */
  server6?: StunServer;
  relay?: TurnServer;
  streams?: StreamServer;
  pool?: WorkerPool;
  handoff?: { close: () => Promise<void>; target: HandoffTarget };
  handoffRendezvous?: RendezvousServer;
  /** Where both STUN servers listen on UDP. */
  udpAddresses: Endpoint[];
}

/** What the start-up steps share. */
interface Startup {
  readonly options: ServeOptions;
  readonly logger: Logger;
  readonly io: Io;
  readonly run: Running;
  readonly nodeNetwork: ReturnType<typeof createNodeNetwork>;
  readonly udpSockets: ServeUdpSockets;
  readonly reusePort: boolean;
}

/**
 * `natkit serve`: the self-hosted server. With no flags: STUN and the TURN relay on every IPv4
 * interface, UDP 3478, one address (binding requests only; relay credentials self-issued). With --alternate-address: the full RFC 5780 service on two
 * IPs and two ports. Runs until SIGINT/SIGTERM or `signal` aborts.
 */
export async function runServe(flags: ServeFlags, io: Io, signal: AbortSignal): Promise<number> {
  const run: Running = { udpAddresses: [] };
  let options: ServeOptions;
  let server: StunServer;
  try {
    options = parseServeFlags(flags);
    const logger = createConsoleLogger({ level: options.level, write: io.stderr });
    server = await startServeOnSomePort(options, logger, io, run);
  } catch (e) {
    await closeServe(run);
    io.stderr(`natkit serve: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof StunError && (e.code === 'ERR_USAGE' || e.code === 'ERR_STUN_SERVER_CONFIG') ? ExitCode.Usage : ExitCode.Error;
  }
  printStartup(io, options, server, run);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await stopServe(io, server, run);
  return ExitCode.Ok;
}

/** --port 0: how many UDP ports the kernel picks before the start fails because their number is taken on TCP. */
const EPHEMERAL_PORT_TRIES = 8;

/** startServe; with --port 0, again on another UDP port while its number is taken on TCP (bounded). */
async function startServeOnSomePort(options: ServeOptions, logger: Logger, io: Io, run: Running): Promise<StunServer> {
  for (let tries = 1; ; tries++) {
    try {
      return await startServe(options, logger, io, run);
    } catch (e) {
      if (options.port !== 0 || tries >= EPHEMERAL_PORT_TRIES || !isTcpPortTaken(e)) throw e;
      await closeServe(run);
      for (const key of ['server', 'server6', 'relay', 'streams', 'pool', 'handoff', 'handoffRendezvous'] as const) delete run[key];
      run.udpAddresses = [];
    }
  }
}

/**
 * Starts the relay, the STUN servers and then either the workers or this process's TCP/TLS
 * listener, recording each in `run` as it starts. Returns the primary STUN server.
 */
async function startServe(options: ServeOptions, logger: Logger, io: Io, run: Running): Promise<StunServer> {
  const { workers, port, relayOptions } = options;
  const udpSockets = new ServeUdpSockets();
  // Workers share the main UDP port (SO_REUSEPORT) where this Node can, the port is fixed, there is
  // no RFC 5780 alternate (its sockets stay in one process) and no --worker-port asks for ports of their own.
  const reusePort = workers > 1 && port !== 0 && options.alternate === undefined && options.workerBase === undefined && (await udpReusePortSupported());
  const nodeNetwork = createNodeNetwork({ receiveBufferSize: 4 << 20, ...(reusePort ? { reusePorts: [port] } : {}) });
  if (relayOptions !== undefined) run.relay = createRelay(relayOptions, nodeNetwork, logger, workers > 1 && !reusePort ? (ctx) => run.pool?.redirect(ctx) : undefined);
  const relay = run.relay;
  // The relay shares the STUN server's UDP sockets (one port; RFC 7983 first-byte demux),
  // including those a wildcard server opens and closes as local addresses come and go. The
  // rendezvous watches them for address tokens: it lives in this process, with or without workers.
  // (--no-relay: no rendezvous, nothing to share.)
  const watched = (shared: TurnServer | undefined): Network => relay === undefined ? nodeNetwork : sharingNetwork(nodeNetwork, (s) => {
    const detachRelay = shared?.attachUdpSocket(s);
    const detachWatch = udpSockets.bound(s);
    return () => {
      detachWatch();
      detachRelay?.();
    };
  });
  // With reusePort the primary only holds the IPv4 port until its workers have joined the group.
  // IPv6 (--address6) stays here with the rendezvous, workers or not: its STUN, its TURN and
  // the address proofs (the workers serve IPv4 only).
  const server = await startStunServers(options, watched(reusePort ? undefined : relay), watched(relay), logger, run);
  // TURN over TCP on the same port number (and TLS there and on --tls-port), told apart by first bytes.
  const primary = server.addresses()[0];
  const startup: Startup = { options, logger, io, run, nodeNetwork, udpSockets, reusePort };
  if (relay !== undefined && primary !== undefined && relayOptions !== undefined && workers > 1) {
    await startWorkers(startup, relay, relayOptions, primary.port);
    // The workers are in the SO_REUSEPORT group now: the primary leaves it (it keeps IPv6 only).
    if (reusePort) await server.close();
  } else if (relay !== undefined && primary !== undefined) {
    await startStreams(startup, relay, primary.port);
  }
  return server;
}

/** Starts the primary STUN server and, with --address6, the IPv6 one. */
async function startStunServers(options: ServeOptions, network: Network, network6: Network, logger: Logger, run: Running): Promise<StunServer> {
  const { address, port, alternate, otherAddressOnAlternate, advertised, address6, alternateAddress6, alternatePort } = options;
  const server = createStunServer(
    { primary: { address, port }, ...(alternate === undefined ? {} : { alternate }), software: 'natkit', otherAddressOnAlternate, advertised },
    { network, logger },
  );
  await server.start();
  run.server = server;
  if (address6 !== undefined) {
    const alternate6 = alternateAddress6 === undefined ? undefined : { address: alternateAddress6, port: alternatePort };
    const server6 = createStunServer({ primary: { address: address6, port }, ...(alternate6 === undefined ? {} : { alternate: alternate6 }), software: 'natkit', otherAddressOnAlternate }, { network: network6, logger });
    run.server6 = server6;
    await server6.start();
  }
  run.udpAddresses = [...server.addresses(), ...(run.server6?.addresses() ?? [])];
  return server;
}

/** --workers N: the rendezvous and its hand-off listener here, then the worker processes. */
async function startWorkers(startup: Startup, relay: TurnServer, relayOptions: TurnServerOptions, primaryPort: number): Promise<void> {
  const { options, logger, io, run, nodeNetwork, udpSockets, reusePort } = startup;
  const highest = Math.max(primaryPort, ...run.udpAddresses.map((e) => e.port));
  // The rendezvous stays in this process (presence is in memory): the workers hand it their
  // WebSocket connections over loopback; it mints the credentials all workers accept, and
  // it watches this process's UDP sockets for address tokens (IPv6 from --address6 above).
  const minting = {
    mintCredentials: (user: string, ttlSeconds?: number) => {
      const c = relay.mintCredentials(user, ttlSeconds);
      run.pool?.shareIssued([c]);
      return c;
    },
  };
  const rendezvous = createServeRendezvous(minting, relayOptions.advertisedRelayAddresses ?? [], primaryPort, logger);
  udpSockets.watchWith((s) => rendezvous.attachUdpSocket(s));
  let handoff: Running['handoff'];
  try {
    handoff = await startRendezvousHandoff(rendezvous, nodeNetwork, logger);
    run.handoff = handoff;
  } finally {
    if (handoff === undefined) await rendezvous.close();
  }
  run.handoffRendezvous = rendezvous;
  const { workers: count, workerBase: base, port, address, level, tlsFlags, advertisedPrimary } = options;
  const plan = { count, base, mainPort: primaryPort, ephemeral: port === 0, highestUsed: highest, address, level, tlsFlags, relay: relayOptions, reusePort, rendezvous: handoff.target, primaryUdp: run.udpAddresses };
  run.pool = await startServeWorkers(plan, relay, advertisedPrimary, (line) => io.stderr(`natkit serve: ${line}\n`));
}

/** One process: the rendezvous, and TURN over TCP/TLS with it on the same listener. */
async function startStreams(startup: Startup, relay: TurnServer, primaryPort: number): Promise<void> {
  const { options, logger, run, nodeNetwork, udpSockets } = startup;
  const rendezvous = createServeRendezvous(relay, options.relayOptions?.advertisedRelayAddresses ?? [], primaryPort, logger);
  udpSockets.watchWith((s) => rendezvous.attachUdpSocket(s));
  try {
    const streams = await startStreamServer({ address: options.address, port: primaryPort, ...options.tlsFlags }, relay, rendezvous, nodeNetwork, logger);
    run.streams = streams;
    // TCP and TLS ports too are refused as peers (the UDP ones are known from the sockets).
    relay.addListeners(streams.endpoints);
  } catch (e) {
    await rendezvous.close();
    throw e;
  }
}

/** The `natkit serve: ...` start-up lines on stdout (scripts wait for them). */
function printStartup(io: Io, options: ServeOptions, server: StunServer, run: Running): void {
  const { relay, server6, pool, udpAddresses } = run;
  const { relayOptions } = options;
  const addresses = udpAddresses.map(formatEndpoint).join(', ');
  io.stdout(`natkit serve: STUN (${server.mode === 'full' ? 'RFC 5780 behavior discovery' : server.mode === 'port-only' ? 'RFC 5780 port changes only' : 'binding only'}) on UDP ${addresses}\n`);
  const batch = udpBatchStatus();
  io.stdout(`natkit serve: UDP I/O ${batch.available ? 'batched (recvmmsg/sendmmsg, native addon)' : `node:dgram (${batch.reason ?? 'batched I/O unavailable'})`}\n`);
  if (options.wildcard) {
    io.stdout('natkit serve: one socket per local address (wildcard), following address changes: answers leave from the address each request came to\n');
  }
  if (server.mode !== 'full') {
    io.stdout('natkit serve: RFC 5780 NAT behavior tests need two addresses: add --alternate-address IP\n');
  }
  if (relay !== undefined && relayOptions !== undefined) {
    for (const line of relayStartupLines(relay, udpAddresses, relayOptions)) io.stdout(`natkit serve: ${line}\n`);
    for (const line of run.streams?.lines ?? pool?.lines ?? []) io.stdout(`natkit serve: ${line}\n`);
    if (server6 !== undefined) {
      const where = server6.addresses().map(formatEndpoint).join(', ');
      io.stdout(`natkit serve: dual stack: the rendezvous binds peers' IPv6 addresses (address tokens in STUN Bindings) on UDP ${where}` +
        (pool === undefined ? '\n' : ' (IPv6 STUN and TURN in the primary process, with the rendezvous; the workers serve IPv4)\n'));
    }
  } else {
    io.stdout('natkit serve: TURN relay off (--no-relay)\n');
  }
}

/** The shutdown sequence: counters taken first, everything closed, then the stop lines. */
async function stopServe(io: Io, server: StunServer, run: Running): Promise<void> {
  const stats = server.stats();
  const relayStats = run.relay?.stats();
  const streamStats = run.streams?.stats();
  const workerLines = await closeServe(run);
  io.stdout(`natkit serve: stopped; ${JSON.stringify(stats)}\n`);
  if (relayStats !== undefined) io.stdout(`natkit serve: relay stopped; ${JSON.stringify(relayStats)}\n`);
  if (streamStats !== undefined) io.stdout(`natkit serve: TCP/TLS stopped; ${JSON.stringify(streamStats)}\n`);
  for (const line of workerLines) io.stdout(`natkit serve: ${line}\n`);
}

/** Closes what `run` holds, the last started first; returns the workers' stop lines. */
async function closeServe(run: Running): Promise<string[]> {
  const workerLines = (await run.pool?.close()) ?? [];
  await run.handoffRendezvous?.close();
  await run.handoff?.close();
  await run.streams?.close();
  await run.relay?.close();
  await run.server6?.close();
  await run.server?.close();
  return workerLines;
}
