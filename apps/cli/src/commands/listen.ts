import { formatEndpoint } from '@natkit/net';
import type { PeerConnection } from '@natkit/peer';
import { ExitCode } from '../exit-codes.js';
import { decodeApp, encodeApp, PIPE_CHUNK } from './app-message.js';
import type { Io } from './diagnose.js';
import { describeStrategy, startPeer, untilAborted, UsageError, type PeerFlags } from './peer-common.js';

/** What the peer commands read and write beyond text: stdin, and raw bytes to stdout. */
export interface PeerIo extends Io {
  readonly stdin: NodeJS.ReadableStream | null;
  readonly stdoutBytes: (b: Uint8Array) => void;
}

export function describePath(c: PeerConnection): string {
  const p = c.path;
  return p.kind === 'direct' ? `direct ${formatEndpoint(p.remote)}${p.family === 6 ? ' (IPv6)' : ''}` : `relay ${formatEndpoint(p.relay)}${p.transport === 'udp' ? '' : ` over ${p.transport.toUpperCase()}`}`;
}

/** Sends `data` to `c` as pipe datagrams of at most PIPE_CHUNK bytes. */
export function sendPipe(c: PeerConnection, data: Uint8Array): void {
  for (let at = 0; at < data.length; at += PIPE_CHUNK) c.send(encodeApp({ type: 'pipe', data: data.subarray(at, at + PIPE_CHUNK) }));
}

/**
 * `natkit listen`: registers and stays up; answers pings, writes what a `natkit pipe` peer sends
 * to stdout and sends its stdin to the last peer that piped to it. Runs until SIGINT/SIGTERM.
 */
export async function runListen(flags: PeerFlags, io: PeerIo, signal: AbortSignal): Promise<number> {
  let started;
  try {
    started = await startPeer(flags, io, signal);
  } catch (e) {
    io.stderr(`natkit listen: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof UsageError ? ExitCode.Usage : ExitCode.Error;
  }
  const { peer, server } = started;
  if (flags.json === true) io.stdout(`${JSON.stringify({ type: 'listening', peer: peer.peerId, server: formatEndpoint(server), readyMs: peer.readyMs })}\n`);
  else io.stderr(`natkit listen: peer ${peer.peerId} registered at ${formatEndpoint(server)}; waiting for pings and pipes (Ctrl-C stops)\n`);
  let piping: PeerConnection | null = null;
  peer.onConnection((c) => {
    const who = c.remotePeerId;
    io.stderr(`natkit listen: connection from ${who} (${describePath(c)}); ${describeStrategy(c)}\n`);
    c.on('path', () => io.stderr(`natkit listen: path to ${who} now ${describePath(c)}\n`));
    c.on('close', (why) => {
      if (piping === c) piping = null;
      if (why.error !== null) io.stderr(`natkit listen: connection from ${who} lost: ${why.error.message}\n`);
    });
    c.onMessage((bytes) => {
      const m = decodeApp(bytes);
      if (m?.type === 'ping') c.send(encodeApp({ type: 'pong', seq: m.seq }));
      else if (m?.type === 'pipe') {
        piping = c;
        io.stdoutBytes(m.data);
      }
    });
  });
  const onStdin = (chunk: Buffer | string): void => {
    if (piping !== null) sendPipe(piping, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };
  io.stdin?.on('data', onStdin);
  await untilAborted(signal);
  io.stdin?.off('data', onStdin);
  await peer.close();
  return ExitCode.Ok;
}
