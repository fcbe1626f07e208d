import type { ConnectionClosed } from '@natkit/peer';
import { ExitCode } from '../exit-codes.js';
import { decodeApp } from './app-message.js';
import { describePath, type PeerIo } from './listen.js';
import { pipeStdin } from './pipe-input.js';
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
  const input = pipeStdin(io.stdin);
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

