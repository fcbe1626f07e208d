/**
 * The round trip the TURN client interop tests make: a plain UDP peer on loopback sends to the
 * relayed address and echoes what the relay delivers, so that both directions are exercised.
 */
import { createNodeNetwork, type Endpoint, type UdpSocket } from '@natkit/net';

export interface EchoPeer {
  readonly socket: UdpSocket;
  /** Datagrams the peer received, with their source. */
  readonly received: { data: string; from: Endpoint }[];
  close(): Promise<void>;
}

/** A UDP socket on 127.0.0.1 that answers every datagram with `echo:` + its text. */
export async function startEchoPeer(): Promise<EchoPeer> {
  const socket = await createNodeNetwork().bindUdp({ family: 4, address: '127.0.0.1' });
  const received: { data: string; from: Endpoint }[] = [];
  socket.onMessage((d, from) => {
    const text = Buffer.from(d).toString('utf8');
    if (received.length < 1000) received.push({ data: text, from });
    socket.send(Buffer.from(`echo:${text}`), from);
  });
  return { socket, received, close: () => socket.close() };
}

/** Resolves with the first datagram `socket` receives that satisfies `accept`, or rejects after `ms`. */
export function nextMessage(socket: UdpSocket, ms: number, accept: (text: string) => boolean = () => true): Promise<{ data: string; from: Endpoint }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no datagram within ${ms} ms`));
    }, ms);
    const off = socket.onMessage((d, from) => {
      const data = Buffer.from(d).toString('utf8');
      if (!accept(data)) return;
      clearTimeout(timer);
      off();
      resolve({ data, from });
    });
  });
}
