import type { Endpoint, Family, UdpSocket } from '@natkit/net';
import type { VirtualNetwork } from '../src/index.js';

export interface Received {
  readonly text: string;
  readonly from: Endpoint;
}

/** Collects what a socket receives; `next()` resolves with the next datagram. */
export function collect(socket: UdpSocket): { readonly messages: Received[]; next(): Promise<Received> } {
  const messages: Received[] = [];
  let waiters: ((r: Received) => void)[] = [];
  socket.onMessage((data, from) => {
    const r = { text: new TextDecoder().decode(data), from };
    messages.push(r);
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve(r);
  });
  return {
    messages,
    next: () => new Promise<Received>((resolve) => waiters.push(resolve)),
  };
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A host on the internet with a socket bound to its own address (so `local` is sendable). */
export async function publicSocket(vnet: VirtualNetwork, port: number, family: Family = 4): Promise<UdpSocket> {
  const host = vnet.createHost(vnet.internet);
  return host.network.bindUdp({ family, address: host.address(family)!, port });
}
