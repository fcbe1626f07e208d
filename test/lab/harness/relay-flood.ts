/**
 * A flooded TURN channel between two lab hosts (relay-flood-ends.mjs): a plain UDP peer, and
 * natkit's TURN client with a channel bound to it. One of the two floods the other through the
 * relay while the client times STUN Binding requests to the server on its own socket; then the
 * client pings the peer through the same channel. Every wait is bounded.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';
import type { RelayEndpoint } from './relay-peer.js';
import { requireTool } from './tools.js';

const SCRIPT = resolve(import.meta.dirname, 'relay-flood-ends.mjs');
const repo = resolve(import.meta.dirname, '../../..');
const turnUrl = pathToFileURL(resolve(repo, 'packages/turn/dist/index.js')).href;
const netUrl = pathToFileURL(resolve(repo, 'packages/net/dist/index.js')).href;

/** Paced: `pps` datagrams of `size` bytes a second for `seconds` (at most pps * seconds of them). */
export interface RelayFlood {
  pps: number;
  seconds: number;
  size: number;
}

export interface RelayFloodPeer {
  process: LabProcess;
  endpoint: RelayEndpoint;
  /** SIGTERM, and what it saw: flood datagrams received, pings echoed, its own flood. */
  stop(): Promise<{ floodReceived: number; echoed: number; flood: { sent: number; ms: number } | null }>;
}

/** A plain UDP peer in `ns` on `address` (its host's): echoes pings, and floods the client's relayed address after its hello when given `flood`. */
export async function startRelayFloodPeer(lab: Lab, ns: string, address: string, flood: RelayFlood | null): Promise<RelayFloodPeer> {
  const proc = await lab.spawn(ns, [process.execPath, SCRIPT, 'peer', JSON.stringify({ flood, deadlineMs: 120_000 })]);
  const m = await proc.waitForOutput(/"type":"ready","port":(\d+)/, 10_000);
  return {
    process: proc,
    endpoint: { address, port: Number(m[1]) },
    async stop() {
      await proc.stop({ graceMs: 2000 });
      const line = proc.stdout.split('\n').find((l) => l.includes('"type":"result"'));
      return JSON.parse(line ?? 'null') as Awaited<ReturnType<RelayFloodPeer['stop']>>;
    },
  };
}

export interface RelayFloodClientOptions {
  server: RelayEndpoint;
  credentials: { username: string; password: string };
  peer: RelayEndpoint;
  /** The client floods the peer with this; null: the peer floods the client (`peerFlood`). */
  flood: RelayFlood | null;
  /** The peer's flood, for its length (when `flood` is null). */
  peerFlood: RelayFlood | null;
  probeIntervalMs?: number;
  /** Wait after the flood before the pings. Default 1500 ms. */
  drainMs?: number;
  pings?: number;
}

export interface RelayFloodClientResult {
  ok: boolean;
  error?: string;
  relayed?: RelayEndpoint;
  mapped?: RelayEndpoint;
  /** The channel bound to the peer (null: none, the fast path would not carry it). */
  channel?: number | null;
  /** From allocated to the channel bound and echoing (and the peer flooding, if it does). */
  setupMs?: number;
  helloEchoed?: boolean;
  floodSeen?: boolean;
  floodReceived?: number;
  sentFlood?: { sent: number; ms: number } | null;
  /** Datagrams other than the flood sent to the peer through the relay (pings, hellos). */
  sentOther?: number;
  /** Binding requests to the server on the client's socket during the flood: answers and their delays (single shots, 3 s each). */
  probes?: { sent: number; answered: number; medianMs: number | null; maxMs: number | null };
  pings?: number;
  /** Pings echoed through the same channel after the flood. */
  echoes?: number;
  raw: string;
}

/** Runs the client end in `ns` to completion. */
export async function runRelayFloodClient(lab: Lab, ns: string, options: RelayFloodClientOptions): Promise<RelayFloodClientResult> {
  const params = {
    turnUrl, netUrl, ...options,
    probeIntervalMs: options.probeIntervalMs ?? 100, drainMs: options.drainMs ?? 1500, pings: options.pings ?? 10, deadlineMs: 60_000,
  };
  const r = await lab.exec(ns, [process.execPath, SCRIPT, 'client', JSON.stringify(params)], { timeoutMs: 70_000 });
  const line = r.stdout.split('\n').find((l) => l.includes('"type":"result"'));
  try {
    return { ...(JSON.parse(line ?? '') as Omit<RelayFloodClientResult, 'raw'>), raw: (r.stdout + r.stderr).slice(-2000) };
  } catch {
    return { ok: false, error: `no result (exit ${String(r.code)})`, raw: (r.stdout + r.stderr).slice(-2000) };
  }
}

/** A UDP socket's send-buffer use as `ss -m` shows it: bytes charged (truesize) and its SO_SNDBUF. */
export interface SendBufferSample {
  local: string;
  wmem: number;
  sndbuf: number;
  atMs: number;
}

/** From `ss -Hnuam`: each socket's local address and skmem t (wmem_alloc) and tb (sndbuf). */
export function parseSendBuffers(text: string): Omit<SendBufferSample, 'atMs'>[] {
  const out: Omit<SendBufferSample, 'atMs'>[] = [];
  let local: string | undefined;
  for (const line of text.split('\n')) {
    const mem = /skmem:\(r\d+,rb\d+,t(\d+),tb(\d+)/.exec(line);
    if (mem !== null && local !== undefined) out.push({ local, wmem: Number(mem[1]), sndbuf: Number(mem[2]) });
    else if (mem === null) local = line.trim().split(/\s+/)[3];
  }
  return out;
}

/** Samples every UDP socket in `ns` at each of `atMs` (from now, bounded) and returns the fullest send buffer seen. */
export async function sampleFullestSendBuffer(lab: Lab, ns: string, atMs: readonly number[]): Promise<SendBufferSample | null> {
  const ss = requireTool('ss');
  const start = performance.now();
  let best: SendBufferSample | null = null;
  for (const at of atMs) {
    await new Promise((r) => setTimeout(r, Math.max(0, at - (performance.now() - start))));
    const r = await lab.exec(ns, [ss, '-Hnuam'], { timeoutMs: 3000 });
    for (const b of parseSendBuffers(r.stdout)) if (best === null || b.wmem > best.wmem) best = { ...b, atMs: at };
  }
  return best;
}
