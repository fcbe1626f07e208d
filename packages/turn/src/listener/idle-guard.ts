import type { Clock, DataHandler, StreamConnection, StreamStats, Timer, WriteResult } from '@natkit/net';

/**
 * Closes `connection` after `idleMs` without a byte read or a write queued. One timer per
 * connection, re-armed lazily (activity only stamps a time). Returns the connection to hand on:
 * its writes count as activity. The guard ends with the connection.
 */
export function guardIdle(connection: StreamConnection, idleMs: number, clock: Clock, onIdle: () => void): StreamConnection {
  const guarded = new IdleGuardedConnection(connection, clock);
  let timer: Timer | undefined;
  const arm = (delay: number): void => {
    timer = clock.setTimeout(() => {
      if (connection.closed) return;
      const quiet = clock.now() - guarded.lastActivity;
      if (quiet < idleMs) {
        arm(idleMs - quiet);
        return;
      }
      onIdle();
      void connection.close(0);
    }, delay);
  };
  arm(idleMs);
  connection.onClose(() => timer?.cancel());
  return guarded;
}

/** Forwards everything to the wrapped connection, stamping the time of each read and write. */
class IdleGuardedConnection implements StreamConnection {
  lastActivity: number;

  constructor(
    readonly inner: StreamConnection,
    readonly clock: Clock,
  ) {
    this.lastActivity = clock.now();
    inner.onData(() => {
      this.lastActivity = clock.now();
    });
  }

  get local(): StreamConnection['local'] {
    return this.inner.local;
  }
  get remote(): StreamConnection['remote'] {
    return this.inner.remote;
  }
  get secure(): boolean {
    return this.inner.secure;
  }
  get bufferedBytes(): number {
    return this.inner.bufferedBytes;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  write(data: Uint8Array): WriteResult {
    this.lastActivity = this.clock.now();
    return this.inner.write(data);
  }
  onData(handler: DataHandler): () => void {
    return this.inner.onData(handler);
  }
  onClose(handler: (error?: Error) => void): () => void {
    return this.inner.onClose(handler);
  }
  stats(): StreamStats {
    return this.inner.stats();
  }
  close(graceMs?: number): Promise<void> {
    return this.inner.close(graceMs);
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.inner.close();
  }
}
