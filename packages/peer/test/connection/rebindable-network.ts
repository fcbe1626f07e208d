import type { Network, UdpSocket } from '@natkit/net';

/** Real sockets; rebind() moves the UDP socket to a new port, as a NAT rebinding looks from outside. */
export function rebindableNetwork(network: Network): { network: Network; rebind: () => Promise<void> } {
  let current: UdpSocket | null = null;
  const handlers = new Set<(d: Uint8Array, from: { address: string; port: number }) => void>();
  const attach = (s: UdpSocket): void => {
    s.onMessage((d, from) => {
      if (s === current) for (const h of [...handlers]) h(d, from);
    });
  };
  const wrapped: Network = {
    ...network,
    localAddressFor: (r) => network.localAddressFor(r),
    bindUdp: async (o) => {
      current = await network.bindUdp(o);
      attach(current);
      const first = current;
      return {
        local: first.local,
        family: first.family,
        send: (d, to) => current?.send(d, to),
        onMessage: (h) => {
          handlers.add(h);
          return () => handlers.delete(h);
        },
        onError: (h) => first.onError(h),
        close: async () => current?.close(),
        [Symbol.asyncDispose]: async () => current?.close(),
      };
    },
  };
  return {
    network: wrapped,
    rebind: async () => {
      const old = current;
      current = await network.bindUdp({ family: 4 });
      attach(current);
      await old?.close();
    },
  };
}
