/**
 * Peer connections between two lab hosts, driven as a user would: `natkit serve` (STUN with
 * RFC 5780, TURN and the rendezvous on one port) in the lab's internet, `natkit listen --json` in
 * one host and `natkit ping --json` in another. Returns the ping summary, every pong and the raw
 * output of both sides (for assertion messages). The matrix test and the benchmark share it.
 *
 * @example
 * const server = await startPeerServer(lab);
 * const run = await runPeerPair(lab, server, { listener: lab.hosts.A.ns, pinger: lab.hosts.B.ns });
 * expect(run.summary?.path, run.raw).toBe('direct');
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';
import { NATKIT_BIN, startNatkitServe } from './natkit.js';

/** A running `natkit serve` and the `--server` value peers give. */
export interface PeerServer {
  readonly process: LabProcess;
  /** `203.0.113.1:3478` */
  readonly endpoint: string;
  /** `[2001:db8::1]:3478` when the server also serves IPv6 (dual-stack peers get `--server6`). */
  readonly endpoint6?: string;
}

/** `--server S` and, for a dual-stack server, `--server6 S6`. */
function serverArgs(server: PeerServer): string[] {
  return ['--server', server.endpoint, ...(server.endpoint6 === undefined ? [] : ['--server6', server.endpoint6])];
}

/** `natkit ping --json`'s last line (issue 7: `sent`, `received`, `path`, `connectMs`, `directMs`). */
export interface PeerPingSummary {
  readonly type: 'summary';
  readonly sent: number;
  readonly received: number;
  readonly path: 'direct' | 'relay';
  readonly connectMs: number | null;
  readonly directMs: number | null;
  /** The direct-path strategy the connection used, and the planner's reason, when the CLI says so. */
  readonly strategy?: string;
  readonly strategyReason?: string;
}

/** One `type: "pong"` line. */
export interface PeerPong {
  readonly seq: number;
  readonly rttMs: number;
  readonly path: 'direct' | 'relay';
  /** The direct address or the relay's address, as the CLI prints it. */
  readonly address?: string;
}

export interface PeerPingRun {
  readonly code: number | null;
  readonly timedOut: boolean;
  /** null when no valid summary line came (then `raw` says why). */
  readonly summary: PeerPingSummary | null;
  readonly pongs: readonly PeerPong[];
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface PeerListener {
  readonly process: LabProcess;
  /** The peer id from the `type: "listening"` line. */
  readonly peer: string;
}

export interface PeerPingOptions {
  /** Default 16. */
  readonly count?: number;
  /** Default 250 ms. */
  readonly intervalMs?: number;
  /** Key file; default a fresh key in a temp dir removed at lab close. */
  readonly keyFile?: string;
  /** `--log-level debug`: connection details on stderr. */
  readonly debug?: boolean;
}

export interface PeerPairOptions extends PeerPingOptions {
  /** Namespace of the host that runs `natkit listen`. */
  readonly listener: string;
  /** Namespace of the host that runs `natkit ping`. */
  readonly pinger: string;
}

export interface PeerPairRun {
  readonly listenerPeer: string;
  readonly ping: PeerPingRun;
  /** The listener's stdout and stderr (it was stopped after the ping). */
  readonly listenerOutput: string;
  /** Both sides' output, for assertion messages. */
  readonly raw: string;
}

/** The CIDR peers live in: the lab's internet range, refused by a default `natkit serve`. */
const LAB_PEERS = '203.0.113.0/24';

/**
 * `natkit serve --address A --alternate-address B --port 3478 --allow-peer 203.0.113.0/24`
 * (with `dualStack`, also `--address6 2001:db8::1 --alternate-address6 2001:db8::2`); resolves
 * when the rendezvous serves.
 */
export async function startPeerServer(lab: Lab, options: { port?: number; extraArgs?: readonly string[]; dualStack?: boolean } = {}): Promise<PeerServer> {
  const port = options.port ?? 3478;
  const six = options.dualStack === true ? ['--address6', lab.serverAddresses6[0]!, '--alternate-address6', lab.serverAddresses6[1]!] : [];
  const serve = await startNatkitServe(lab, { port, extraArgs: ['--allow-peer', LAB_PEERS, ...six, ...(options.extraArgs ?? [])] });
  await serve.waitForOutput(/rendezvous \(WebSocket/, 10_000);
  const endpoint = `${lab.serverAddresses[0]!}:${port}`;
  return options.dualStack === true ? { process: serve, endpoint, endpoint6: `[${lab.serverAddresses6[0]!}]:${port}` } : { process: serve, endpoint };
}

async function freshKeyFile(lab: Lab, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'natkit-lab-peer-'));
  lab.defer(() => rm(dir, { recursive: true, force: true }));
  return join(dir, `${name}.pem`);
}

/** `natkit listen --json` in `ns`; resolves with its peer id once registered. */
export async function startPeerListener(lab: Lab, ns: string, server: PeerServer, options: { keyFile?: string; debug?: boolean } = {}): Promise<PeerListener> {
  const key = options.keyFile ?? (await freshKeyFile(lab, 'listener'));
  const argv = [process.execPath, NATKIT_BIN, 'listen', ...serverArgs(server), '--key', key, '--json', ...(options.debug === true ? ['--log-level', 'debug'] : [])];
  const listener = await lab.spawn(ns, argv);
  try {
    await listener.waitForOutput(/"type":"listening"/, 20_000);
  } catch (error) {
    throw new Error(`natkit listen did not register: ${(error as Error).message}\n${listener.output}`);
  }
  const line = listener.stdout.split('\n').find((l) => l.includes('"listening"')) ?? '';
  const peer = (JSON.parse(line) as { peer?: unknown }).peer;
  if (typeof peer !== 'string') throw new Error(`natkit listen: no peer id in '${line}'`);
  return { process: listener, peer };
}

function parseJsonLines(stdout: string): unknown[] {
  const out: unknown[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // not ours: the raw output shows it
    }
  }
  return out;
}

function isPath(v: unknown): v is 'direct' | 'relay' {
  return v === 'direct' || v === 'relay';
}

function isNumberOrNull(v: unknown): v is number | null {
  return v === null || typeof v === 'number';
}

function optionalText<K extends string>(r: Record<string, unknown>, key: K): { [P in K]?: string } {
  const v = r[key];
  return (typeof v === 'string' ? { [key]: v } : {}) as { [P in K]?: string };
}

/** Picks the summary and pongs out of `natkit ping --json` output; malformed lines are ignored. */
export function parsePingOutput(stdout: string): { summary: PeerPingSummary | null; pongs: PeerPong[] } {
  let summary: PeerPingSummary | null = null;
  const pongs: PeerPong[] = [];
  for (const o of parseJsonLines(stdout)) {
    if (typeof o !== 'object' || o === null) continue;
    const r = o as Record<string, unknown>;
    if (r.type === 'pong' && typeof r.seq === 'number' && typeof r.rttMs === 'number' && isPath(r.path)) {
      pongs.push({ seq: r.seq, rttMs: r.rttMs, path: r.path, ...(typeof r.address === 'string' ? { address: r.address } : {}) });
    } else if (r.type === 'summary' && typeof r.sent === 'number' && typeof r.received === 'number' && isPath(r.path) && isNumberOrNull(r.connectMs) && isNumberOrNull(r.directMs)) {
      summary = { type: 'summary', sent: r.sent, received: r.received, path: r.path, connectMs: r.connectMs, directMs: r.directMs, ...optionalText(r, 'strategy'), ...optionalText(r, 'strategyReason') };
    }
  }
  return { summary, pongs };
}

/** `natkit ping --json --count N --interval MS PEER` in `ns`, bounded in time. */
export async function runPeerPing(lab: Lab, ns: string, server: PeerServer, peer: string, options: PeerPingOptions = {}): Promise<PeerPingRun> {
  const count = options.count ?? 16;
  const intervalMs = options.intervalMs ?? 250;
  const key = options.keyFile ?? (await freshKeyFile(lab, 'pinger'));
  const argv = [
    process.execPath, NATKIT_BIN, 'ping', ...serverArgs(server), '--key', key,
    '--count', String(count), '--interval', String(intervalMs), '--json', ...(options.debug === true ? ['--log-level', 'debug'] : []), peer,
  ];
  // Connecting is bounded by the CLI at 15 s, the last pong at 2 s; the rest is process start.
  const r = await lab.exec(ns, argv, { timeoutMs: 30_000 + count * intervalMs });
  return { code: r.code, timedOut: r.timedOut, ...parsePingOutput(r.stdout), stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
}

/** One listen/ping pair: `listener` listens, `pinger` pings it; the listener is stopped afterwards. */
export async function runPeerPair(lab: Lab, server: PeerServer, options: PeerPairOptions): Promise<PeerPairRun> {
  const debug = options.debug === true ? { debug: true } : {};
  const listener = await startPeerListener(lab, options.listener, server, debug);
  let ping: PeerPingRun;
  try {
    ping = await runPeerPing(lab, options.pinger, server, listener.peer, options);
  } finally {
    await listener.process.stop({ graceMs: 1000 });
  }
  const listenerOutput = listener.process.output;
  const raw = [
    `--- natkit ping (${options.pinger}): exit ${ping.code}${ping.timedOut ? ' (timed out)' : ''} after ${Math.round(ping.durationMs)} ms`,
    ping.stdout.trimEnd(),
    ping.stderr.trimEnd(),
    `--- natkit listen (${options.listener})`,
    listenerOutput.trimEnd(),
  ].join('\n');
  return { listenerPeer: listener.peer, ping, listenerOutput, raw };
}
