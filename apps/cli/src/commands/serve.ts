import { randomBytes } from 'node:crypto';
import { createConsoleLogger, createNodeNetwork, familyOf, formatEndpoint, udpBatchStatus, udpReusePortSupported, type Endpoint, type LogLevel, type Network } from '@natkit/net';
import { createStunServer, StunError, type StunServer } from '@natkit/stun';
import type { RendezvousServer } from '@natkit/rendezvous';
import type { TurnServer, TurnServerOptions } from '@natkit/turn';
import { ExitCode } from '../exit-codes.js';
import type { Io } from './diagnose.js';
import { createRelay, parseRelayFlags, relayStartupLines, sharingNetwork, type RelayServeFlags } from './serve-relay.js';
import { createServeRendezvous, parseTlsFlags, startStreamServer, type StreamServeFlags, type StreamServer } from './serve-streams.js';
import { startRendezvousHandoff, type HandoffTarget } from './rendezvous-handoff.js';
import { startServeWorkers, type WorkerPool } from './serve-workers-start.js';
import { parseWorkers } from './worker-plan.js';
import { ServeUdpSockets } from './serve-udp-sockets.js';

export interface ServeFlags extends RelayServeFlags, StreamServeFlags {
  readonly address?: string;
  readonly alternateAddress?: string;
  readonly address6?: string;
  readonly alternateAddress6?: string;
  readonly port?: string;
  readonly alternatePort?: string;
  readonly logLevel?: string;
  readonly otherAddress?: string;
  readonly advertiseAddress?: string;
  readonly advertiseAlternateAddress?: string;
  readonly workers?: string;
  readonly workerPort?: string;
}

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

function parsePort(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new StunError('ERR_USAGE', `${name} takes a port from 0 to 65535, not '${v}'`);
  return n;
}

function parseAddress(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (familyOf(v) === undefined) throw new StunError('ERR_USAGE', `${name} takes an IP address literal, not '${v}'`);
  return v;
}

/**
 * `natkit serve`: the self-hosted server. With no flags: STUN and the TURN relay on every IPv4
 * interface, UDP 3478, one address (binding requests only; relay credentials self-issued). With --alternate-address: the full RFC 5780 service on two
 * IPs and two ports. Runs until SIGINT/SIGTERM or `signal` aborts.
 */
export async function runServe(flags: ServeFlags, io: Io, signal: AbortSignal): Promise<number> {
  let server: StunServer;
  let wildcard = false;
  let relay: TurnServer | undefined;
  let relayOptions: TurnServerOptions | undefined;
  let streams: StreamServer | undefined;
  let pool: WorkerPool | undefined;
  let started: StunServer | undefined;
  let server6: StunServer | undefined;
  const udpSockets = new ServeUdpSockets();
  let udpAddresses: Endpoint[] = [];
  let handoff: { close: () => Promise<void>; target: HandoffTarget } | undefined;
  let handoffRendezvous: RendezvousServer | undefined;
  try {
    const level = (flags.logLevel ?? 'info') as LogLevel;
    if (!LEVELS.includes(level)) throw new StunError('ERR_USAGE', `--log-level takes one of ${LEVELS.join(', ')}`);
    const address = parseAddress(flags.address, '--address') ?? '0.0.0.0';
    wildcard = /^[0.:]+$/.test(address);
    const alternateAddress = parseAddress(flags.alternateAddress, '--alternate-address');
    const address6 = parseAddress(flags.address6, '--address6');
    const alternateAddress6 = parseAddress(flags.alternateAddress6, '--alternate-address6');
    if (address6 !== undefined && (familyOf(address6) !== 6 || familyOf(address) !== 4)) throw new StunError('ERR_USAGE', '--address6 takes an IPv6 address, next to an IPv4 --address');
    if (alternateAddress6 !== undefined && (address6 === undefined || familyOf(alternateAddress6) !== 6)) throw new StunError('ERR_USAGE', '--alternate-address6 takes an IPv6 address, with --address6');
    const port = parsePort(flags.port, '--port', 3478);
    const alternatePort = parsePort(flags.alternatePort, '--alternate-port', port === 0 ? 0 : port + 1);
    const logger = createConsoleLogger({ level, write: io.stderr });
    const alternate =
      alternateAddress !== undefined
        ? { address: alternateAddress, port: alternatePort }
        : flags.alternatePort !== undefined
          ? { port: alternatePort }
          : undefined;
    const otherAddressOnAlternate = flags.otherAddress ?? 'rfc5780';
    if (otherAddressOnAlternate !== 'rfc5780' && otherAddressOnAlternate !== 'coturn') {
      throw new StunError('ERR_USAGE', `--other-address takes rfc5780 or coturn, not '${otherAddressOnAlternate}'`);
    }
    const advertisedPrimary = parseAddress(flags.advertiseAddress, '--advertise-address');
    const advertisedAlternate = parseAddress(flags.advertiseAlternateAddress, '--advertise-alternate-address');
    const advertised = {
      ...(advertisedPrimary === undefined ? {} : { primary: advertisedPrimary }),
      ...(advertisedAlternate === undefined ? {} : { alternate: advertisedAlternate }),
    };
    relayOptions = parseRelayFlags(flags);
    const workers = parseWorkers(flags.workers);
    const workerBase = flags.workerPort === undefined ? undefined : parsePort(flags.workerPort, '--worker-port', 0);
    if (workers > 1 && relayOptions === undefined) throw new StunError('ERR_USAGE', '--workers runs TURN relay workers: not with --no-relay');
    if (workers === 1 && flags.workerPort !== undefined) throw new StunError('ERR_USAGE', '--worker-port needs --workers N (N > 1)');
    // Workers accept the credentials the primary issues itself: one self-issued secret for all,
    // and the primary hands them each name it mints (USERHASH finds it at any worker).
    if (workers > 1 && relayOptions !== undefined) relayOptions = { ...relayOptions, selfIssuedSecret: randomBytes(32).toString('base64url'), issuedNamesShared: true };
    const tlsFlags = parseTlsFlags(flags, parsePort);
    if (relayOptions === undefined && tlsFlags.tls !== undefined) throw new StunError('ERR_USAGE', '--tls-cert/--tls-key serve TURN over TLS: not with --no-relay');
    // Workers share the main UDP port (SO_REUSEPORT) where this Node can, the port is fixed, there is
    // no RFC 5780 alternate (its sockets stay in one process) and no --worker-port asks for ports of their own.
    const reusePort = workers > 1 && port !== 0 && alternate === undefined && workerBase === undefined && (await udpReusePortSupported());
    const nodeNetwork = createNodeNetwork({ receiveBufferSize: 4 << 20, ...(reusePort ? { reusePorts: [port] } : {}) });
    if (relayOptions !== undefined) relay = createRelay(relayOptions, nodeNetwork, logger, workers > 1 && !reusePort ? (ctx) => pool?.redirect(ctx) : undefined);
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
    const network = watched(reusePort ? undefined : relay);
    const network6 = watched(relay);
    server = createStunServer(
      { primary: { address, port }, ...(alternate === undefined ? {} : { alternate }), software: 'natkit', otherAddressOnAlternate, advertised },
      { network, logger },
    );
    await server.start();
    started = server;
    if (address6 !== undefined) {
      const alternate6 = alternateAddress6 === undefined ? undefined : { address: alternateAddress6, port: alternatePort };
      server6 = createStunServer({ primary: { address: address6, port }, ...(alternate6 === undefined ? {} : { alternate: alternate6 }), software: 'natkit', otherAddressOnAlternate }, { network: network6, logger });
      await server6.start();
    }
    udpAddresses = [...server.addresses(), ...(server6?.addresses() ?? [])];
    // TURN over TCP on the same port number (and TLS there and on --tls-port), told apart by first bytes.
    const primary = server.addresses()[0];
    if (relay !== undefined && primary !== undefined && relayOptions !== undefined && workers > 1) {
      const highest = Math.max(primary.port, ...udpAddresses.map((e) => e.port));
      // The rendezvous stays in this process (presence is in memory): the workers hand it their
      // WebSocket connections over loopback; it mints the credentials all workers accept, and
      // it watches this process's UDP sockets for address tokens (IPv6 from --address6 above).
      const minter = relay;
      const minting = {
        mintCredentials: (user: string, ttlSeconds?: number) => {
          const c = minter.mintCredentials(user, ttlSeconds);
          pool?.shareIssued([c]);
          return c;
        },
      };
      const rendezvous = createServeRendezvous(minting, relayOptions.advertisedRelayAddresses ?? [], primary.port, logger);
      udpSockets.watchWith((s) => rendezvous.attachUdpSocket(s));
      try {
        handoff = await startRendezvousHandoff(rendezvous, nodeNetwork, logger);
      } finally {
        if (handoff === undefined) await rendezvous.close();
      }
      handoffRendezvous = rendezvous;
      const plan = { count: workers, base: workerBase, mainPort: primary.port, ephemeral: port === 0, highestUsed: highest, address, level, tlsFlags, relay: relayOptions, reusePort, rendezvous: handoff.target, primaryUdp: udpAddresses };
      pool = await startServeWorkers(plan, relay, advertisedPrimary, (line) => io.stderr(`natkit serve: ${line}\n`));
      // The workers are in the SO_REUSEPORT group now: the primary leaves it (it keeps IPv6 only).
      if (reusePort) await server.close();
    } else if (relay !== undefined && primary !== undefined) {
      const rendezvous = createServeRendezvous(relay, relayOptions?.advertisedRelayAddresses ?? [], primary.port, logger);
      udpSockets.watchWith((s) => rendezvous.attachUdpSocket(s));
      try {
        streams = await startStreamServer({ address, port: primary.port, ...tlsFlags }, relay, rendezvous, nodeNetwork, logger);
        // TCP and TLS ports too are refused as peers (the UDP ones are known from the sockets).
        relay.addListeners(streams.endpoints);
      } catch (e) {
        await rendezvous.close();
        throw e;
      }
    }
  } catch (e) {
    await pool?.close();
    await handoffRendezvous?.close();
    await handoff?.close();
    await streams?.close();
    await relay?.close();
    await server6?.close();
    await started?.close();
    io.stderr(`natkit serve: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof StunError && (e.code === 'ERR_USAGE' || e.code === 'ERR_STUN_SERVER_CONFIG') ? ExitCode.Usage : ExitCode.Error;
  }
  const addresses = udpAddresses.map(formatEndpoint).join(', ');
  io.stdout(`natkit serve: STUN (${server.mode === 'full' ? 'RFC 5780 behavior discovery' : server.mode === 'port-only' ? 'RFC 5780 port changes only' : 'binding only'}) on UDP ${addresses}\n`);
  const batch = udpBatchStatus();
  io.stdout(`natkit serve: UDP I/O ${batch.available ? 'batched (recvmmsg/sendmmsg, native addon)' : `node:dgram (${batch.reason ?? 'batched I/O unavailable'})`}\n`);
  if (wildcard) {
    io.stdout('natkit serve: one socket per local address (wildcard), following address changes: answers leave from the address each request came to\n');
  }
  if (server.mode !== 'full') {
    io.stdout('natkit serve: RFC 5780 NAT behavior tests need two addresses: add --alternate-address IP\n');
  }
  if (relay !== undefined && relayOptions !== undefined) {
    for (const line of relayStartupLines(relay, udpAddresses, relayOptions)) io.stdout(`natkit serve: ${line}\n`);
    for (const line of streams?.lines ?? pool?.lines ?? []) io.stdout(`natkit serve: ${line}\n`);
    if (server6 !== undefined) {
      const where = server6.addresses().map(formatEndpoint).join(', ');
      io.stdout(`natkit serve: dual stack: the rendezvous binds peers' IPv6 addresses (address tokens in STUN Bindings) on UDP ${where}` +
        (pool === undefined ? '\n' : ' (IPv6 STUN and TURN in the primary process, with the rendezvous; the workers serve IPv4)\n'));
    }
  } else {
    io.stdout('natkit serve: TURN relay off (--no-relay)\n');
  }
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const stats = server.stats();
  const relayStats = relay?.stats();
  const streamStats = streams?.stats();
  const workerLines = (await pool?.close()) ?? [];
  await handoffRendezvous?.close();
  await handoff?.close();
  await streams?.close();
  await relay?.close();
  await server6?.close();
  await server.close();
  io.stdout(`natkit serve: stopped; ${JSON.stringify(stats)}\n`);
  if (relayStats !== undefined) io.stdout(`natkit serve: relay stopped; ${JSON.stringify(relayStats)}\n`);
  if (streamStats !== undefined) io.stdout(`natkit serve: TCP/TLS stopped; ${JSON.stringify(streamStats)}\n`);
  for (const line of workerLines) io.stdout(`natkit serve: ${line}\n`);
  return ExitCode.Ok;
}
