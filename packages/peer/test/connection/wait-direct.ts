import type { PeerConnection } from '../../src/index.js';

/** True once `c` is on a direct path (at once when it already is), false after `ms` without one. */
export function waitDirect(c: PeerConnection, ms: number): Promise<boolean> {
  if (c.path.kind === 'direct') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, ms);
    const off = c.on('path', (p) => {
      if (p.kind !== 'direct') return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

/** Resolves once `c` is on a direct path; rejects, naming the path, after `timeoutMs` without one. */
export async function untilDirect(c: PeerConnection, timeoutMs = 8000): Promise<void> {
  if (!(await waitDirect(c, timeoutMs))) throw new Error(`still ${c.path.kind} after ${timeoutMs} ms`);
}
