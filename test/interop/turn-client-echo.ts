/**
 * The round trip the TURN client interop tests make: a plain UDP peer on loopback sends to the
 * relayed address and echoes what the relay delivers, so that both directions are exercised.
 */
import { createNodeNetwork, type Endpoint, type TlsClientOptions, type UdpSocket } from '@natkit/net';
import { allocateRelay, type LongTermCredentials, type TurnAllocation, type TurnTransport } from '@natkit/turn';
import { expect } from 'vitest';

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

/** Relays `rounds` datagrams to the echo peer and back; returns what came back. */
export async function roundTrips(a: TurnAllocation, peer: EchoPeer, rounds: number): Promise<string[]> {
  const back: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const reply = nextMessage(a.socket, 3000, (t) => t === `echo:ping ${i}`);
    a.socket.send(Buffer.from(`ping ${i}`), peer.socket.local);
    const r = await reply;
    expect(r.from).toEqual(peer.socket.local);
    back.push(r.data);
  }
  return back;
}

export interface RelayFacts {
  readonly software: string | undefined;
  readonly integritySha256: boolean;
  readonly userhash: boolean;
}

/**
 * Allocates on `server`, relays five datagrams to an echo peer and back (ChannelData or Send/Data
 * indications), checks that the peer saw the relayed address, deletes the allocation.
 */
export async function expectRelayBothWays(
  server: Endpoint,
  credentials: LongTermCredentials,
  transport: TurnTransport,
  channels: boolean,
  tls?: TlsClientOptions,
): Promise<RelayFacts> {
  const peer = await startEchoPeer();
  const a = await allocateRelay({ server, credentials, transport, channels, ...(tls === undefined ? {} : { tls }) }, { network: createNodeNetwork() });
  try {
    expect(a.relayed.address).toBe('127.0.0.1');
    expect(a.mapped?.address).toBe('127.0.0.1');
    expect(a.lifetimeSeconds).toBeGreaterThan(0);
    const back = await roundTrips(a, peer, 5);
    expect(back).toEqual([0, 1, 2, 3, 4].map((i) => `echo:ping ${i}`));
    expect(a.socket.channelOf(peer.socket.local) !== undefined).toBe(channels);
    // The peer saw the relayed address as the source: the data really went through the server.
    expect(peer.received.every((r) => r.from.port === a.relayed.port)).toBe(true);
    return { software: a.software, integritySha256: a.integritySha256, userhash: a.userhash };
  } finally {
    await a.socket.close();
    await peer.close();
  }
}
