import type { PeerConnection } from '@natkit/peer';
import { encodeApp, PIPE_CHUNK } from './app-message.js';

/**
 * Datagrams sent back to back at most, then a 1 ms pause (at most ~8.8 MB/s): a 64 KiB read from
 * stdin does not leave as one burst of 60 datagrams, which overflows a relay's or the receiver's
 * socket buffer (measured in the lab: a few datagrams lost per burst).
 */
const BURST = 8;
/** stdin pauses while more than this waits to be sent. */
const MAX_QUEUED_BYTES = 256 * 1024;

export interface PipeInput {
  /** Starts sending to `c`: first what arrived before, then the rest as it comes. */
  attach(c: PeerConnection): void;
  /** Resolves once stdin ended and everything read was handed to the connection (never without stdin). */
  readonly ended: Promise<void>;
}

/**
 * `natkit pipe`'s stdin: read from the start, so the first bytes leave the moment the connection
 * opens (on the relay, before any direct path); held until then (one read, then stdin pauses:
 * bounded memory), then sent paced as pipe datagrams of at most PIPE_CHUNK bytes.
 */
export function pipeStdin(stdin: NodeJS.ReadableStream | null): PipeInput {
  if (stdin === null) return { attach: () => undefined, ended: new Promise<void>(() => undefined) };
  const queue: Uint8Array[] = [];
  let queued = 0;
  let target: PeerConnection | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inputEnded = false;
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const pump = (): void => {
    timer = null;
    if (target === null) return;
    if (target.closed) queue.length = 0;
    for (let i = 0; i < BURST; i++) {
      const data = queue.shift();
      if (data === undefined) break;
      queued -= data.length;
      target.send(encodeApp({ type: 'pipe', data }));
    }
    if (queue.length > 0) timer = setTimeout(pump, 1);
    else if (inputEnded) resolveEnded();
    if (queued < MAX_QUEUED_BYTES && stdin.isPaused()) stdin.resume();
  };
  stdin.on('data', (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let at = 0; at < bytes.length; at += PIPE_CHUNK) queue.push(bytes.subarray(at, at + PIPE_CHUNK));
    queued += bytes.length;
    if (target === null || queued >= MAX_QUEUED_BYTES) stdin.pause();
    if (target !== null && timer === null) pump();
  });
  stdin.once('end', () => {
    inputEnded = true;
    if (queue.length === 0) resolveEnded();
  });
  return {
    attach: (c) => {
      target = c;
      if (timer === null) pump();
    },
    ended,
  };
}
