import { lookup } from 'node:dns/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { IdentityError, isPeerId, loadOrCreateIdentity, type Identity } from '@natkit/identity';
import { createConsoleLogger, createNodeNetwork, familyOf, formatEndpoint, parseHostPort, type Endpoint } from '@natkit/net';
import { createPeer, type Peer, type PeerConnection } from '@natkit/peer';
import { RendezvousRefusedError } from '@natkit/rendezvous';
import type { Io } from './diagnose.js';

/** Flags every peer command takes (issue 7: scripts depend on these exact names). */
export interface PeerFlags {
  readonly server?: string;
  readonly server6?: string;
  readonly key?: string;
  readonly json?: boolean;
  readonly logLevel?: string;
}

/** A mistake on the command line: exit code 2. */
export class UsageError extends Error {}

/** `$XDG_CONFIG_HOME/natkit/key.pem`, else `~/.config/natkit/key.pem`. */
export function defaultKeyPath(): string {
  const base = process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  return join(base, 'natkit', 'key.pem');
}

export async function resolvePeerServer(text: string | undefined): Promise<Endpoint> {
  return (await resolvePeerServers(text, undefined)).server;
}

/**
 * `--server` and `--server6`: the server's address, and its IPv6 one for a dual-stack peer (see
 * PeerOptions.server6). Only an explicit `--server6` makes the peer dual stack: a server name with
 * an AAAA record may belong to a server without IPv6 STUN, and probing it would delay every start.
 */
export async function resolvePeerServers(text: string | undefined, text6: string | undefined): Promise<{ server: Endpoint; server6?: Endpoint }> {
  if (text === undefined) throw new UsageError('--server HOST[:PORT] is required: the natkit server (`natkit serve`) both peers use');
  const parsed = parseHostPort(text, 3478);
  if (!parsed.ok) throw new UsageError(`bad server '${text}': ${parsed.reason}`);
  const server6 = text6 === undefined ? undefined : await resolveServer6(text6, parsed.port);
  let server: Endpoint;
  if (familyOf(parsed.host) !== undefined) server = { address: parsed.host, port: parsed.port };
  else {
    try {
      // With --server6 the main server must be IPv4: prefer the name's IPv4 address then.
      const { address } = await lookup(parsed.host, server6 === undefined ? {} : { family: 4 });
      server = { address, port: parsed.port };
    } catch {
      throw new UsageError(`cannot resolve '${parsed.host}': check the name, or give an IP address`);
    }
  }
  if (server6 !== undefined && familyOf(server.address) !== 4) throw new UsageError('--server6 goes with an IPv4 --server (an IPv6 --server needs no --server6)');
  return server6 === undefined ? { server } : { server, server6 };
}

async function resolveServer6(text: string, defaultPort: number): Promise<Endpoint> {
  const parsed = parseHostPort(text, defaultPort);
  if (!parsed.ok) throw new UsageError(`bad --server6 '${text}': ${parsed.reason}`);
  if (familyOf(parsed.host) === 6) return { address: parsed.host, port: parsed.port };
  if (familyOf(parsed.host) === 4) throw new UsageError(`--server6 takes an IPv6 address, not '${parsed.host}'`);
  try {
    const { address } = await lookup(parsed.host, { family: 6 });
    return { address, port: parsed.port };
  } catch {
    throw new UsageError(`cannot resolve '${parsed.host}' to an IPv6 address: check the name, or give an IPv6 address in brackets`);
  }
}

export function parsePeerId(text: string | undefined): string {
  if (text === undefined) throw new UsageError('give the peer id to reach (nk1..., printed by `natkit listen`)');
  if (!isPeerId(text)) throw new UsageError(`'${text}' is not a peer id (nk1 followed by 55 letters a-z and digits 2-7, as \`natkit listen\` prints)`);
  return text;
}

export async function loadKey(path: string | undefined, io: Io): Promise<Identity> {
  const file = path ?? defaultKeyPath();
  try {
    const { identity, created } = await loadOrCreateIdentity(file);
    if (created) io.stderr(`natkit: created a new key in ${file} (mode 0600): peer ${identity.peerId}\n`);
    return identity;
  } catch (e) {
    if (e instanceof IdentityError) throw new UsageError(e.message);
    throw e;
  }
}

/** Registers at the server; the error says what failed and what to do. */
export async function startPeer(flags: PeerFlags, io: Io, signal: AbortSignal): Promise<{ peer: Peer; server: Endpoint }> {
  const { server, server6 } = await resolvePeerServers(flags.server, flags.server6);
  const identity = await loadKey(flags.key, io);
  const logger = createConsoleLogger({ level: flags.logLevel === 'debug' ? 'debug' : 'warn', write: io.stderr });
  try {
    const peer = await createPeer({ server, ...(server6 === undefined ? {} : { server6 }), identity, signal }, { network: createNodeNetwork(), logger });
    if (peer.relayProblem !== null) io.stderr(`natkit: no relay (${peer.relayProblem}); only direct paths can work\n`);
    io.stderr(`natkit: ${describeNat(peer)}\n`);
    if (server6 !== undefined) io.stderr(`natkit: ${describeSecond(peer)}\n`);
    return { peer, server };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`${why}. Is \`natkit serve\` running at ${flags.server ?? ''} with its TCP port reachable?`);
  }
}

/** The NAT as measured at start, and how long getting ready took. */
export function describeNat(peer: Peer): string {
  const { nat, srflx, diagnosisMs, notes } = peer.nat;
  const p = nat.ipv4 ?? nat.ipv6;
  const behavior = p === null ? 'NAT not measured' : `NAT mapping ${p.mapping}, filtering ${p.filtering}, ports ${p.allocation.pattern}${p.allocation.step === null ? '' : ` (step ${p.allocation.step})`}`;
  const timing = `${diagnosisMs === null ? 'no diagnosis' : `diagnosis ${diagnosisMs} ms`}, ready in ${peer.readyMs} ms`;
  const note = notes.length === 0 ? '' : `; ${notes.join('; ')}`;
  return `${behavior}; public address ${srflx === null ? 'unknown (no UDP answer)' : `${srflx.address}:${srflx.port}`}; ${timing}${note}`;
}

/** The second address family (dual stack): whether the server verified it. */
export function describeSecond(peer: Peer): string {
  const second = peer.addresses.second;
  if (second === null) return 'IPv6: not available (no IPv6 route, or no answer from the server over IPv6); IPv4 only';
  return second.verified === null ? `IPv6: ${formatEndpoint(second.local)}, not verified by the server: IPv4 only` : `IPv6: ${formatEndpoint(second.verified)} verified by the server`;
}

/** The direct-path strategy of a connection and why (the punch planner's reason). */
export function describeStrategy(c: PeerConnection): string {
  const { strategy, strategyReason } = c.stats();
  return strategyReason === '' ? `direct path strategy: ${strategy}` : `direct path strategy: ${strategy} (${strategyReason})`;
}

/** A connect failure, said so the user knows what to do. */
export function explainConnectError(e: unknown, peerId: string, server: string): string {
  if (e instanceof RendezvousRefusedError) {
    if (e.code === 'unknown-peer') return `peer ${peerId} is not registered at ${server}: start \`natkit listen --server ${server}\` with its key first`;
    if (e.code === 'self-connect') return `${peerId} is this key's own peer id: use another --key for one of the two sides`;
    if (e.code === 'peer-unresponsive') return `peer ${peerId} is registered but did not answer the server: it may have just gone away; try again`;
    return e.message;
  }
  return `cannot reach ${peerId}: ${e instanceof Error ? e.message : String(e)}`;
}

/** Until SIGINT/SIGTERM or `signal`. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
