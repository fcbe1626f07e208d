import type { Clock, Network } from '@natkit/net';

/**
 * Polls the host's interface addresses (where the network can tell them: the Node adapter) and
 * calls `onChange` when the set of non-loopback addresses changes (a new Wi-Fi, a VPN, a lost
 * link). Returns a stop function; a network without `interfaceAddresses` is never polled.
 */
export function watchInterfaces(network: Network, clock: Clock, everyMs: number, onChange: () => void): () => void {
  const read = network.interfaceAddresses?.bind(network);
  if (read === undefined) return () => {};
  const snapshot = (): string => read().filter((a) => !a.internal).map((a) => a.address).sort().join(',');
  let last = snapshot();
  let stopped = false;
  let timer = clock.setTimeout(tick, Math.max(1_000, everyMs));
  function tick(): void {
    const now = snapshot();
    if (now !== last) {
      last = now;
      onChange();
    }
    if (!stopped) timer = clock.setTimeout(tick, Math.max(1_000, everyMs));
  }
  return () => {
    stopped = true;
    timer.cancel();
  };
}
