import type { ConnectionClosed, PeerConnection } from '@natkit/peer';
import { ExitCode } from '../exit-codes.js';
import { decodeApp } from './app-message.js';
import { describePath, sendPipe, type PeerIo } from './listen.js';
import { explainConnectError, parsePeerId, startPeer, UsageError, type PeerFlags } from './peer-common.js';

/** Time after stdin ends before the pipe closes (datagrams in flight). */
const DRAIN_MS = 1000;

/**
 * `natkit pipe PEER`: netcat between peers. stdin goes to the peer (datagrams of at most 1,100
 * bytes, as they come: unordered and lossy like UDP), the peer's pipe data to stdout. Ends after
 * stdin ends, when the peer closes, or on SIGINT/SIGTERM. When no path answers for the idle
 * timeout (30 s) the connection is lost: says so on stderr and exits 6 (Unreachable).
 */
export async function runPipe(flags: PeerFlags, target: string | undefined, io: PeerIo, signal: AbortSignal): Promise<number> {
  let started;
  let peerId: string;
  try {
    peerId = parsePeerId(target);
    started = await startPeer(flags, io, signal);
  } catch (e) {
    io.stderr(`natkit pipe: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof UsageError ? ExitCode.Usage : ExitCode.Error;
  }
  const { peer } = started;
  const input = pumpStdin(io.stdin);
  const server = flags.server ?? '';
  const verbose = io.stderrIsTty || flags.logLevel === 'debug';
  try {
    const c = await peer.connect(peerId, { signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) });
    const connectedAt = Date.now();
    if (verbose) io.stderr(`natkit pipe: connected to ${peerId} (${describePath(c)}; strategy ${c.stats().strategy})\n`);
    c.on('path', () => {
      if (verbose) io.stderr(`natkit pipe: path now ${describePath(c)} after ${c.stats().bytesSent} bytes sent, ${c.stats().bytesReceived} received (${Date.now() - connectedAt} ms)\n`);
    });
    c.onMessage((bytes) => {
      const m = decodeApp(bytes);
      if (m?.type === 'pipe') io.stdoutBytes(m.data);
    });
    const closed = await new Promise<ConnectionClosed | null>((resolve) => {
      const done = (): void => resolve(null);
      signal.addEventListener('abort', done, { once: true });
      c.on('close', (why) => resolve(why));
      input.attach(c);
      void input.ended.then(() => setTimeout(done, DRAIN_MS));
    });
    c.close();
    if (closed !== null && closed.error !== null) {
      io.stderr(`natkit pipe: connection lost after ${c.stats().bytesSent} bytes sent, ${c.stats().bytesReceived} received: ${closed.error.message}\n`);
      return ExitCode.Unreachable;
    }
    if (verbose) io.stderr(`natkit pipe: done (${closed === null ? 'input ended' : `closed by ${closed.reason === 'remote' ? 'the peer' : 'us'}`}); ${c.stats().bytesSent} bytes sent, ${c.stats().bytesReceived} received\n`);
    return ExitCode.Ok;
  } catch (e) {
    io.stderr(`natkit pipe: ${explainConnectError(e, peerId, server)}\n`);
    return ExitCode.Unreachable;
  } finally {
    await peer.close();
  }
}

/**
 * Reads stdin from the start, so the first bytes leave the moment the connection opens (on the
 * relay, before any direct path): what arrives before that is held (one chunk, then stdin pauses:
 * bounded), the rest is sent as it comes. `ended` resolves at the end of stdin (never without one).
 */
function pumpStdin(stdin: NodeJS.ReadableStream | null): { attach: (c: PeerConnection) => void; ended: Promise<void> } {
  if (stdin === null) return { attach: () => undefined, ended: new Promise<void>(() => undefined) };
  let target: PeerConnection | null = null;
  const held: Uint8Array[] = [];
  const ended = new Promise<void>((resolve) => stdin.once('end', () => resolve()));
  stdin.on('data', (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (target !== null) return sendPipe(target, bytes);
    held.push(bytes);
    stdin.pause();
  });
  return {
    attach: (c) => {
      target = c;
      for (const b of held.splice(0)) sendPipe(c, b);
      stdin.resume();
    },
    ended,
  };
}
