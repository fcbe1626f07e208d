import type { Family, Logger, Network, UdpSocket } from '@natkit/net';

/**
 * Opens `count` extra sockets of `family` (birthday: one NAT mapping each). Binds run in batches
 * so a 256-socket plan does not hit the system with 256 binds at once; the ones that fail are
 * logged and left out (a CGN port quota or EMFILE shrinks the attempt, it does not abort it).
 */
export async function openExtraSockets(network: Network, family: Family, count: number, logger: Logger, signal?: AbortSignal): Promise<UdpSocket[]> {
  const out: UdpSocket[] = [];
  const batch = 32;
  for (let i = 0; i < count && signal?.aborted !== true; i += batch) {
    const n = Math.min(batch, count - i);
    const settled = await Promise.allSettled(Array.from({ length: n }, () => network.bindUdp({ family })));
    for (const s of settled) {
      if (s.status === 'fulfilled') out.push(s.value);
      else logger.debug('punch: extra socket bind failed', { error: String(s.reason) });
    }
  }
  if (signal?.aborted === true) {
    await closeAll(out);
    return [];
  }
  return out;
}

/** Closes every socket; a close that fails does not stop the others. */
export async function closeAll(sockets: readonly UdpSocket[]): Promise<void> {
  await Promise.allSettled(sockets.map((s) => s.close()));
}
