import { createNodeNetwork, type Network, type UdpSocket } from '@natkit/net';

const network = createNodeNetwork();

/** Real sockets whose UDP traffic the test can cut (both ways), as a dead path would. */
export function mutableNetwork(): { network: Network; mute: () => void; unmute: () => void } {
  let muted = false;
  const wrapped: Network = {
    ...network,
    localAddressFor: (r) => network.localAddressFor(r),
    bindUdp: async (o) => {
      const s = await network.bindUdp(o);
      const socket: UdpSocket = {
        local: s.local,
        family: s.family,
        send: (d, to) => {
          if (!muted) s.send(d, to);
        },
        onMessage: (h) => s.onMessage((d, from) => {
          if (!muted) h(d, from);
        }),
        onError: (h) => s.onError(h),
        close: () => s.close(),
        [Symbol.asyncDispose]: () => s.close(),
      };
      return socket;
    },
  };
  return { network: wrapped, mute: () => (muted = true), unmute: () => (muted = false) };
}
