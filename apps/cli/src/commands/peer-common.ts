import { lookup } from 'node:dns/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { IdentityError, isPeerId, loadOrCreateIdentity, type Identity } from '@natkit/identity';
import { createConsoleLogger, createNodeNetwork, familyOf, parseHostPort, type Endpoint } from '@natkit/net';
import { createPeer, type Peer, type PeerConnection } from '@natkit/peer';
import { RendezvousRefusedError } from '@natkit/rendezvous';
import type { Io } from './diagnose.js';

/** Flags every peer command takes (issue 7: scripts depend on these exact names). */
export interface PeerFlags {
  readonly server?: string;
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
  if (text === undefined) throw new UsageError('--server HOST[:PORT] is required: the natkit server (`natkit serve`) both peers use');
  const parsed = parseHostPort(text, 3478);
  if (!parsed.ok) throw new UsageError(`bad server '${text}': ${parsed.reason}`);
  if (familyOf(parsed.host) !== undefined) return { address: parsed.host, port: parsed.port };
  try {
    const { address } = await lookup(parsed.host);
    return { address, port: parsed.port };
  } catch {
    throw new UsageError(`cannot resolve '${parsed.host}': check the name, or give an IP address`);
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
  const server = await resolvePeerServer(flags.server);
  const identity = await loadKey(flags.key, io);
  const logger = createConsoleLogger({ level: flags.logLevel === 'debug' ? 'debug' : 'warn', write: io.stderr });
  try {
    const peer = await createPeer({ server, identity, signal }, { network: createNodeNetwork(), logger });
    if (peer.relayProblem !== null) io.stderr(`natkit: no relay (${peer.relayProblem}); only direct paths can work\n`);
    io.stderr(`natkit: ${describeNat(peer)}\n`);
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
