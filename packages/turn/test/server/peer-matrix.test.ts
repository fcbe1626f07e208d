import { createNodeNetwork, type Endpoint, type UdpSocket } from '@natkit/net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTurnServer, type TurnServer } from '../../src/index.js';
import {
  additionalAddressFamily,
  channelNumber,
  data,
  readXorRelayedAddresses,
  requestedTransport,
  TurnMethod,
  xorPeerAddress,
} from '../../src/proto/index.js';
import { DENIED_BY_DEFAULT } from '../allocation/address-forms.js';
import { errorCodeOf, RawTurnClient } from './raw-turn-client.js';

/*
 * The peer-address matrix of relay.md §3 #1 over real loopback sockets: a server with ZERO
 * configuration (self-issued credentials, default filter) and relays on 127.0.0.1 and ::1. Every
 * address form goes through CreatePermission, ChannelBind and a Send indication; a canary on
 * 127.0.0.1 and one on ::1 must receive nothing. The control case opens 127.0.0.0/8 and ::1 and
 * shows that the same canaries do receive when allowed (the test can fail).
 */
const network = createNodeNetwork();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function within<T>(p: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms))]);
}
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function canary(address: string, port = 0): Promise<{ socket: UdpSocket; got: Endpoint[] }> {
  const socket = await network.bindUdp({ family: address.includes(':') ? 6 : 4, address, port });
  const got: Endpoint[] = [];
  socket.onMessage((_d, from) => got.push(from));
  cleanups.push(() => socket.close());
  return { socket, got };
}

async function relaySite(allowPeers: string[]): Promise<{ server: TurnServer; client: RawTurnClient; listen: UdpSocket }> {
  const server = createTurnServer({ relayAddresses: ['127.0.0.1', '::1'], allowPeers, relayPorts: { low: 40000, high: 47999 } }, { network });
  const listen = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  server.attachUdpSocket(listen);
  const clientSocket = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  cleanups.push(async () => {
    await server.close();
    await listen.close();
    await clientSocket.close();
  });
  const creds = server.mintCredentials('matrix', 600);
  const client = new RawTurnClient(clientSocket, listen.local, creds.username, creds.password);
  const alloc = await within(client.request(TurnMethod.Allocate, [requestedTransport(17), additionalAddressFamily(6)]));
  expect(alloc.class).toBe('success');
  expect(readXorRelayedAddresses(alloc)).toHaveLength(2); // IPv4 and IPv6 relays: both families are exercised
  return { server, client, listen };
}

/** Loopback-reaching forms get the canary's port; the rest cannot leave a loopback-bound relay. */
function target(form: string, c4: Endpoint, c6: Endpoint): Endpoint {
  return { address: form, port: form === '::1' || form === '::' ? c6.port : c4.port };
}

describe('peer-address matrix (every method x every address form), zero-config server', () => {
  it('refuses every form with 403 on CreatePermission and ChannelBind, drops every Send; the canaries get nothing', async () => {
    const c4 = await canary('127.0.0.1');
    const c6 = await canary('::1');
    const { server, client } = await relaySite([]);
    const forms = DENIED_BY_DEFAULT.map(([a]) => a).filter((a) => a !== 'not-an-ip');
    for (const [i, form] of forms.entries()) {
      const peer = target(form, c4.socket.local, c6.socket.local);
      const perm = await within(client.request(TurnMethod.CreatePermission, [xorPeerAddress(peer)]));
      expect(errorCodeOf(perm), `CreatePermission ${form}`).toBe(403);
      const bind = await within(client.request(TurnMethod.ChannelBind, [channelNumber(0x4000 + i), xorPeerAddress(peer)]));
      expect(errorCodeOf(bind), `ChannelBind ${form}`).toBe(403);
      client.sendIndication(TurnMethod.Send, [xorPeerAddress(peer), data(Uint8Array.of(0xca, 0xfe))]);
    }
    await pause(300);
    expect(c4.got).toEqual([]);
    expect(c6.got).toEqual([]);
    expect(server.stats().drops['peer-denied']).toBe(forms.length * 3);
    expect(server.stats().packetsToPeers).toBe(0);
  }, 30_000);

  it('control: with --allow-peer 127.0.0.0/8 and ::1/128 the same canaries do receive', async () => {
    const c4 = await canary('127.0.0.1');
    const c6 = await canary('::1');
    const { client } = await relaySite(['127.0.0.0/8', '::1/128']);
    for (const peer of [c4.socket.local, c6.socket.local]) {
      const perm = await within(client.request(TurnMethod.CreatePermission, [xorPeerAddress(peer)]));
      expect(errorCodeOf(perm), peer.address).toBe(0);
      client.sendIndication(TurnMethod.Send, [xorPeerAddress(peer), data(Uint8Array.of(1))]);
    }
    await pause(300);
    expect(c4.got).toHaveLength(1);
    expect(c6.got).toHaveLength(1);
  }, 30_000);
});

/**
 * A TCP listener standing for the TLS port, and a UDP canary on the same port number: where a
 * relayed datagram to the TLS port would land. Retried on another port if that UDP port is taken.
 */
async function tlsListenerWithCanary(): Promise<{ tls: Endpoint; canary: { socket: UdpSocket; got: Endpoint[] } }> {
  for (let attempt = 0; ; attempt++) {
    const listener = await network.listenTcp({ family: 4, address: '127.0.0.1', port: 0 });
    cleanups.push(() => listener.close());
    try {
      return { tls: listener.local, canary: await canary('127.0.0.1', listener.local.port) };
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
}

describe("the server's listening ports (UDP, TCP, TLS, a sibling worker's UDP port) in the matrix", () => {
  it('are refused with 403 and Send dropped even where --allow-peer 127.0.0.0/8 opens their address; nothing reaches them', async () => {
    const { server, client, listen } = await relaySite(['127.0.0.0/8']);
    const { tls, canary: tlsCanary } = await tlsListenerWithCanary();
    const sibling = await canary('127.0.0.1'); // another worker's UDP port (natkit serve --workers)
    const control = await canary('127.0.0.1');
    // TCP on the main port number, TLS, a sibling's UDP port: what natkit serve tells the relay.
    server.addListeners([{ address: '0.0.0.0', port: listen.local.port }, tls, sibling.socket.local]);
    const atListener: Endpoint[] = [];
    listen.onMessage((_d, from) => {
      if (from.port !== client.socket.local.port) atListener.push(from);
    });
    const refused = [listen.local, tls, sibling.socket.local];
    for (const [i, peer] of refused.entries()) {
      const perm = await within(client.request(TurnMethod.CreatePermission, [xorPeerAddress(peer)]));
      expect(errorCodeOf(perm), `CreatePermission :${peer.port}`).toBe(403);
      const bind = await within(client.request(TurnMethod.ChannelBind, [channelNumber(0x4100 + i), xorPeerAddress(peer)]));
      expect(errorCodeOf(bind), `ChannelBind :${peer.port}`).toBe(403);
      client.sendIndication(TurnMethod.Send, [xorPeerAddress(peer), data(Uint8Array.of(0xca, 0xfe))]);
    }
    // Control: another port of the same opened address is relayed to.
    expect(errorCodeOf(await within(client.request(TurnMethod.CreatePermission, [xorPeerAddress(control.socket.local)])))).toBe(0);
    client.sendIndication(TurnMethod.Send, [xorPeerAddress(control.socket.local), data(Uint8Array.of(1))]);
    await pause(300);
    expect(control.got).toHaveLength(1);
    expect(tlsCanary.got).toEqual([]);
    expect(sibling.got).toEqual([]);
    expect(atListener).toEqual([]);
    expect(server.stats().drops['peer-denied']).toBe(refused.length * 3);
  }, 30_000);
});
