import { sleep, systemClock } from '@natkit/net';
import type { PeerConnection } from '@natkit/peer';
import { ExitCode } from '../exit-codes.js';
import { decodeApp, encodeApp } from './app-message.js';
import { describePath, type PeerIo } from './listen.js';
import { describeStrategy, explainConnectError, parsePeerId, startPeer, UsageError, type PeerFlags } from './peer-common.js';

export interface PingFlags extends PeerFlags {
  readonly count?: string;
  readonly interval?: string;
}

/** After the last ping, pongs are awaited this long at most. */
const LAST_PONG_WAIT_MS = 2000;

function parseWhole(v: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${name} takes a whole number from ${min} to ${max}, not '${v}'`);
  return Number(v);
}

interface Tally {
  sent: number;
  received: number;
  connectMs: number | null;
  directMs: number | null;
}

/**
 * `natkit ping PEER`: connects (relay first, then direct when found) and sends `--count` pings
 * `--interval` ms apart; one line per pong with its path and RTT, then a summary. Exit 0 when
 * pongs came back, 6 when none did.
 */
export async function runPing(flags: PingFlags, target: string | undefined, io: PeerIo, signal: AbortSignal): Promise<number> {
  let started;
  let peerId: string;
  let count: number;
  let interval: number;
  try {
    peerId = parsePeerId(target);
    count = parseWhole(flags.count, '--count', 4, 1, 100_000);
    interval = parseWhole(flags.interval, '--interval', 1000, 10, 60_000);
    started = await startPeer(flags, io, signal);
  } catch (e) {
    io.stderr(`natkit ping: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof UsageError ? ExitCode.Usage : ExitCode.Error;
  }
  const { peer } = started;
  const clock = systemClock;
  const t0 = clock.now();
  let c: PeerConnection;
  try {
    if (io.stderrIsTty) io.stderr(`natkit ping: connecting to ${peerId}\n`);
    c = await peer.connect(peerId, { signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
  } catch (e) {
    io.stderr(`natkit ping: ${explainConnectError(e, peerId, flags.server ?? '')}\n`);
    await peer.close();
    return ExitCode.Unreachable;
  }
  io.stderr(`natkit ping: connected (${describePath(c)}); ${describeStrategy(c)}\n`);
  // lifecycle: a connection that loses every path closes with an error; stop, say so, exit 6.
  const lost = new AbortController();
  c.on('close', (why) => why.error !== null && lost.abort(why.error));
  const running = AbortSignal.any([signal, lost.signal]);
  const tally = await exchangePings(c, peerId, { count, interval, json: flags.json === true, t0 }, io, running);
  const summary = { type: 'summary', peer: peerId, sent: tally.sent, received: tally.received, path: c.path.kind, family: c.path.family, address: describePath(c).split(' ')[1], connectMs: tally.connectMs, directMs: tally.directMs, strategy: c.stats().strategy, strategyReason: c.stats().strategyReason };
  if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
  else io.stdout(`${tally.sent} sent, ${tally.received} received; path ${describePath(c)}; first pong after ${tally.connectMs ?? '-'} ms, direct after ${tally.directMs ?? '-'} ms\n`);
  c.close();
  await peer.close();
  if (lost.signal.aborted) io.stderr(`natkit ping: connection lost: ${c.closeReason?.error?.message ?? 'no path answers'}\n`);
  else if (tally.received === 0) io.stderr(`natkit ping: no pong from ${peerId}: is its \`natkit listen\` still running?\n`);
  return tally.received > 0 && !lost.signal.aborted ? ExitCode.Ok : ExitCode.Unreachable;
}

/**
 * Sends `count` pings `interval` ms apart over `c`, one line per pong (its path and RTT); returns
 * after the last pong (or LAST_PONG_WAIT_MS more), or when `running` aborts. `t0`: when the
 * connection attempt started (for the first pong and first direct pong times).
 */
async function exchangePings(c: PeerConnection, peerId: string, options: { readonly count: number; readonly interval: number; readonly json: boolean; readonly t0: number }, io: PeerIo, running: AbortSignal): Promise<Tally> {
  const { count, interval, t0 } = options;
  const clock = systemClock;
  const tally: Tally = { sent: 0, received: 0, connectMs: null, directMs: null };
  const sentAt = new Map<number, number>();
  c.onMessage((bytes) => {
    const m = decodeApp(bytes);
    if (m?.type !== 'pong') return;
    const at = sentAt.get(m.seq);
    if (at === undefined) return;
    sentAt.delete(m.seq);
    const now = clock.now();
    const path = c.path;
    tally.received++;
    tally.connectMs ??= Math.round(now - t0);
    if (path.kind === 'direct') tally.directMs ??= Math.round(now - t0);
    const rttMs = Math.round((now - at) * 100) / 100;
    if (options.json) io.stdout(`${JSON.stringify({ type: 'pong', seq: m.seq, rttMs, path: path.kind, address: describePath(c).split(' ')[1], family: path.family })}\n`);
    else io.stdout(`pong from ${peerId.slice(0, 16)}… seq ${m.seq} via ${describePath(c)} in ${rttMs} ms\n`);
  });
  try {
    for (let seq = 1; seq <= count && !running.aborted; seq++) {
      sentAt.set(seq, clock.now());
      c.send(encodeApp({ type: 'ping', seq }));
      tally.sent++;
      if (seq < count) await sleep(clock, interval, running);
    }
    for (let waited = 0; sentAt.size > 0 && waited < LAST_PONG_WAIT_MS && !running.aborted; waited += 50) await sleep(clock, 50, running);
  } catch {
    // interrupted: the summary says what came back
  }
  return tally;
}
