import type { Clock, StreamConnection } from '@natkit/net';
import { classifyFirstBytes, FIRST_BYTES_NEEDED, type FirstBytesKind } from './first-bytes.js';

/**
 * Reads `connection` until its first bytes say what it carries, then calls `decide` once with the
 * kind and every byte read so far (at most one chunk past the 8 bytes a decision needs). Stops
 * listening before `decide`, so the route that takes over sees only later chunks. Closes the
 * connection and calls `onTimeout` when nothing decides within `timeoutMs`.
 */
export function sniffFirstBytes(
  connection: StreamConnection,
  clock: Clock,
  timeoutMs: number,
  onTimeout: () => void,
  decide: (kind: FirstBytesKind, bytes: Uint8Array) => void,
): void {
  let bytes = new Uint8Array(0);
  let done = false;
  const timer = clock.setTimeout(() => {
    if (done || connection.closed) return;
    done = true;
    off();
    onTimeout();
    void connection.close(0);
  }, timeoutMs);
  connection.onClose(() => timer.cancel());
  const off = connection.onData((chunk) => {
    if (done) return;
    const next = new Uint8Array(bytes.length + chunk.length);
    next.set(bytes, 0);
    next.set(chunk, bytes.length);
    bytes = next;
    const kind = classifyFirstBytes(bytes.subarray(0, FIRST_BYTES_NEEDED));
    if (kind === 'need-more') return;
    done = true;
    timer.cancel();
    off();
    decide(kind, bytes);
  });
}
