import { StunError } from '@natkit/stun';
import type { ClientContext } from '@natkit/turn';

/** Most worker processes `--workers` starts (a bound, not a recommendation: one per core). */
export const MAX_WORKERS = 64;

/** Reads `--workers N` (default 1: one process, no workers). Throws ERR_USAGE. */
export function parseWorkers(v: string | undefined): number {
  if (v === undefined) return 1;
  if (!/^\d{1,3}$/.test(v) || Number(v) < 1 || Number(v) > MAX_WORKERS) {
    throw new StunError('ERR_USAGE', `--workers takes a whole number from 1 to ${MAX_WORKERS}, not '${v}'`);
  }
  return Number(v);
}

/**
 * The UDP port of each worker: `--worker-port BASE` + i when given, else the port after the
 * main (and alternate) port; all 0 (ephemeral) when the main port is. Throws ERR_USAGE past 65535.
 */
export function workerPorts(count: number, mainPort: number, highestUsed: number, base: number | undefined): number[] {
  const first = base ?? (mainPort === 0 ? 0 : highestUsed + 1);
  if (first === 0) return Array.from({ length: count }, () => 0);
  if (first + count - 1 > 65535) throw new StunError('ERR_USAGE', `worker ports ${first}-${first + count - 1} go past 65535: give a lower --worker-port`);
  return Array.from({ length: count }, (_, i) => first + i);
}

/** Splits the relay port range into `count` disjoint slices (the last takes the remainder). Throws ERR_USAGE. */
export function relaySlices(range: { low: number; high: number }, count: number): { low: number; high: number }[] {
  const size = Math.floor((range.high - range.low + 1) / count);
  if (size < 1) throw new StunError('ERR_USAGE', `--relay-ports ${range.low}-${range.high} has fewer ports than --workers ${count}`);
  return Array.from({ length: count }, (_, i) => ({
    low: range.low + i * size,
    high: i === count - 1 ? range.high : range.low + (i + 1) * size - 1,
  }));
}

/**
 * The worker for a client: FNV-1a over its 5-tuple, mod the workers that are up (a restarting
 * worker is skipped; the index is into `up`). Undefined when none is up.
 */
export function pickWorker(ctx: ClientContext, up: readonly number[]): number | undefined {
  if (up.length === 0) return undefined;
  const key = `${ctx.transport}|${ctx.client.address}|${ctx.client.port}|${ctx.local.address}|${ctx.local.port}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return up[h % up.length];
}
