import { createNodeNetwork, familyOf, NetworkError, type Network, type UdpSocket } from '@natkit/net';

/**
 * Real sockets on a host whose IPv6 the test turns on and off, as a host that gains or loses its
 * IPv6 address: while off, binding an IPv6 socket fails, there is no route to an IPv6 address,
 * and the IPv6 sockets already bound neither send nor receive. IPv4 is untouched.
 */
export function switchableIpv6Network(ipv6: boolean): { network: Network; setIpv6: (on: boolean) => void; openIpv6Sockets: () => number } {
  const network = createNodeNetwork();
  let on = ipv6;
  let open = 0;
  const wrapped: Network = {
    ...network,
    localAddressFor: async (r) => (familyOf(r.address) === 6 && !on ? undefined : network.localAddressFor(r)),
    bindUdp: async (o) => {
      if (o.family !== 6) return network.bindUdp(o);
      if (!on) throw new NetworkError('ERR_BIND', 'no IPv6 address on this host (switched off by the test)');
      const s = await network.bindUdp(o);
      open += 1;
      let closed = false;
      const close = async (): Promise<void> => {
        if (!closed) open -= 1;
        closed = true;
        await s.close();
      };
      const socket: UdpSocket = {
        local: s.local,
        family: s.family,
        send: (d, to) => {
          if (on) s.send(d, to);
        },
        onMessage: (h) => s.onMessage((d, from) => {
          if (on) h(d, from);
        }),
        onError: (h) => s.onError(h),
        close,
        [Symbol.asyncDispose]: close,
      };
      return socket;
    },
  };
  return { network: wrapped, setIpv6: (v) => (on = v), openIpv6Sockets: () => open };
}
