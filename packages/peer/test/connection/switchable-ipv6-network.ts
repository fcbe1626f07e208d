import { createNodeNetwork, familyOf, NetworkError, type Endpoint, type Network, type UdpSocket } from '@natkit/net';

type Handler = (data: Uint8Array, from: Endpoint) => void;

/**
 * Real sockets on a host whose IPv6 the test turns on and off, as a host that gains or loses its
 * IPv6 address: while off, binding an IPv6 socket fails, there is no route to an IPv6 address,
 * and the IPv6 sockets already bound neither send nor receive. `rebindIpv6()` moves every open
 * IPv6 socket to a new port underneath (its `local` stays), as a rebinding looks from outside.
 * IPv4 is untouched.
 */
export function switchableIpv6Network(ipv6: boolean): { network: Network; setIpv6: (on: boolean) => void; openIpv6Sockets: () => number; rebindIpv6: () => Promise<void> } {
  const network = createNodeNetwork();
  let on = ipv6;
  const live = new Set<() => Promise<void>>();
  const wrapped: Network = {
    ...network,
    localAddressFor: async (r) => (familyOf(r.address) === 6 && !on ? undefined : network.localAddressFor(r)),
    bindUdp: async (o) => {
      if (o.family !== 6) return network.bindUdp(o);
      if (!on) throw new NetworkError('ERR_BIND', 'no IPv6 address on this host (switched off by the test)');
      const first = await network.bindUdp(o);
      let current = first;
      const handlers = new Set<Handler>();
      const attach = (s: UdpSocket): void => {
        s.onMessage((d, from) => {
          if (on && s === current) for (const h of [...handlers]) h(d, from);
        });
      };
      attach(first);
      const rebind = async (): Promise<void> => {
        const old = current;
        current = await network.bindUdp({ family: 6 });
        attach(current);
        await old.close();
      };
      live.add(rebind);
      const close = async (): Promise<void> => {
        live.delete(rebind);
        await current.close();
      };
      const socket: UdpSocket = {
        local: first.local,
        family: first.family,
        send: (d, to) => {
          if (on) current.send(d, to);
        },
        onMessage: (h) => {
          handlers.add(h);
          return () => handlers.delete(h);
        },
        onError: (h) => first.onError(h),
        close,
        [Symbol.asyncDispose]: close,
      };
      return socket;
    },
  };
  return {
    network: wrapped,
    setIpv6: (v) => (on = v),
    openIpv6Sockets: () => live.size,
    rebindIpv6: async () => {
      for (const rebind of [...live]) await rebind();
    },
  };
}
