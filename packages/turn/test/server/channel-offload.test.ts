import { channelForwardingStatus, createNodeNetwork, systemClock, type Endpoint, type UdpSocket } from '@natkit/net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTurnServer, type TurnServer, type TurnServerOptions } from '../../src/index.js';
import { channelNumber, encodeChannelData, lifetime, readXorRelayedAddresses, requestedTransport, TurnMethod, xorPeerAddress } from '../../src/proto/index.js';
import { RawTurnClient } from './raw-turn-client.js';

/*
 * The server's use of the sockets' ChannelData fast path (the batched-I/O addon) on real loopback
 * sockets with the real clock: the server's listening socket and relay sockets are addon sockets,
 * the client and the peers are node:dgram sockets (nothing on their side goes through the addon).
 * Skipped with the reason where the addon is not built; under CI=true it must be.
 */
const status = channelForwardingStatus();
const describeFwd = status.available || process.env.CI === 'true' ? describe : describe.skip;
if (!status.available) process.stderr.write(`channel-offload.test.ts: fast path unavailable: ${status.reason ?? '?'}\n`);

const network = createNodeNetwork({ receiveBufferSize: 4 << 20 });
const plain = createNodeNetwork({ udpBatch: false, receiveBufferSize: 4 << 20 });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

const UDP = requestedTransport(17);
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await pause(5);
}

async function peerSocket(): Promise<{ socket: UdpSocket; got: { data: Buffer; from: Endpoint }[] }> {
  const socket = await plain.bindUdp({ family: 4, address: '127.0.0.1' });
  const got: { data: Buffer; from: Endpoint }[] = [];
  socket.onMessage((d, from) => got.push({ data: Buffer.from(d), from }));
  cleanups.push(() => socket.close());
  return { socket, got };
}

interface Site {
  server: TurnServer;
  listen: UdpSocket;
  client: RawTurnClient;
  relayed: Endpoint;
  detach: () => void;
}

async function site(options: Partial<TurnServerOptions> = {}, clock = systemClock): Promise<Site> {
  const server = createTurnServer(
    { users: new Map([['alice', 'pw']]), relayAddresses: ['127.0.0.1'], allowPeers: ['127.0.0.0/8'], relayPorts: { low: 48000, high: 48999 }, ...options },
    { network, clock },
  );
  const listen = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  const detach = server.attachUdpSocket(listen);
  const clientSocket = await plain.bindUdp({ family: 4, address: '127.0.0.1' });
  cleanups.push(async () => {
    await server.close();
    await listen.close();
    await clientSocket.close();
  });
  const client = new RawTurnClient(clientSocket, listen.local, 'alice', 'pw');
  const alloc = await client.request(TurnMethod.Allocate, [UDP]);
  expect(alloc.class).toBe('success');
  const relayed = (readXorRelayedAddresses(alloc) as Endpoint[])[0];
  if (relayed === undefined) throw new Error('no relayed address');
  return { server, listen, client, relayed, detach };
}

async function bind(s: Site, channel: number, peer: Endpoint): Promise<void> {
  expect((await s.client.request(TurnMethod.ChannelBind, [channelNumber(channel), xorPeerAddress(peer)])).class).toBe('success');
}

function sendChannelData(s: Site, channel: number, count: number, tag: string): void {
  for (let i = 0; i < count; i++) s.client.socket.send(encodeChannelData(channel, Buffer.from(`${tag}${i}`)), s.listen.local);
}

describeFwd('the TURN server relays bound channels through the sockets\' fast path', () => {
  it('both ways without JS, counted in the stats; LIFETIME 0 stops it both ways at once (canary and client hear nothing)', async () => {
    const s = await site();
    expect(s.server.channelOffload).toEqual({ enabled: true });
    const peer = await peerSocket();
    const canary = await peerSocket();
    await bind(s, 0x4000, peer.socket.local);
    await bind(s, 0x4001, canary.socket.local);
    expect(s.server.stats().fastPath.routes).toBe(2);
    sendChannelData(s, 0x4000, 200, 'up');
    await until(() => peer.got.length === 200);
    expect(peer.got.every((g) => g.from.port === s.relayed.port)).toBe(true);
    for (let i = 0; i < 200; i++) peer.socket.send(Buffer.from(`down${i}`), s.relayed);
    await until(() => s.client.received.length === 200);
    expect(s.client.received.map((r) => Buffer.from(r.data).readUInt16BE(0))).toEqual(new Array(200).fill(0x4000));
    const stats = s.server.stats();
    expect(stats.fastPath).toMatchObject({ packetsToPeers: 200, packetsToClients: 200, drops: 0 });
    expect([stats.packetsToPeers, stats.packetsToClients]).toEqual([200, 200]); // the totals include the fast path
    expect(stats.bytesToPeers).toBe(peer.got.reduce((n, g) => n + g.data.length, 0));

    expect((await s.client.request(TurnMethod.Refresh, [lifetime(0)])).class).toBe('success');
    expect(s.server.stats().fastPath.routes).toBe(0);
    const heard = { peer: peer.got.length, client: s.client.received.length };
    sendChannelData(s, 0x4000, 20, 'after');
    sendChannelData(s, 0x4001, 20, 'after');
    for (let i = 0; i < 20; i++) peer.socket.send(Buffer.from(`late${i}`), s.relayed);
    await pause(200);
    expect(peer.got.length).toBe(heard.peer);
    expect(canary.got).toEqual([]);
    expect(s.client.received.length).toBe(heard.client);
    // The counters of the deleted allocation's relay socket are kept.
    expect(s.server.stats()).toMatchObject({ packetsToPeers: 200, packetsToClients: 200, fastPath: { packetsToPeers: 200, packetsToClients: 200 } });
  });

  it('a peer without a channel still gets Data indications through JS; a channel past its route\'s end goes through JS until the allocation ends', async () => {
    const s = await site({ maxLifetimeSeconds: 2 }); // lifetimes below 600 s are raised, but capped by the maximum
    const peer = await peerSocket();
    const other = await peerSocket();
    await bind(s, 0x4000, peer.socket.local);
    expect((await s.client.request(TurnMethod.CreatePermission, [xorPeerAddress(other.socket.local)])).class).toBe('success');
    other.socket.send(Buffer.from('indication'), s.relayed);
    await until(() => s.client.received.length === 1);
    expect(s.client.received[0]?.data[0]).toBe(0x00); // a STUN Data indication, not ChannelData
    sendChannelData(s, 0x4000, 10, 'early');
    await until(() => peer.got.length === 10);
    expect(s.server.stats().fastPath.packetsToPeers).toBe(10);
    // The route ends OFFLOAD_MARGIN_MS (1 s) before the allocation: JS relays the rest of it.
    await pause(1150);
    sendChannelData(s, 0x4000, 10, 'late');
    await until(() => peer.got.length === 20, 600);
    const st = s.server.stats();
    expect(st.fastPath.packetsToPeers).toBe(10);
    expect(st.packetsToPeers).toBe(20);
    await pause(1900); // the allocation has expired and is swept
    sendChannelData(s, 0x4000, 10, 'gone');
    await pause(150);
    expect(peer.got.length).toBe(20);
  });

  it('a Refresh moves the routes\' end with the allocation\'s', async () => {
    const t0 = performance.now();
    const s = await site({ maxLifetimeSeconds: 3 }); // routes end 1 s before the allocation: at t0 + 2 s
    const peer = await peerSocket();
    await bind(s, 0x4000, peer.socket.local);
    await pause(Math.max(0, t0 + 1200 - performance.now()));
    expect((await s.client.request(TurnMethod.Refresh, [lifetime(600)])).class).toBe('success'); // 3 s from now
    await pause(Math.max(0, t0 + 2400 - performance.now()));
    sendChannelData(s, 0x4000, 10, 'refreshed');
    await until(() => peer.got.length === 10);
    expect(s.server.stats().fastPath.packetsToPeers).toBe(10); // without the Refresh these went through JS
  });

  it('detaching the listening socket deletes its allocations and their routes', async () => {
    const s = await site();
    const peer = await peerSocket();
    await bind(s, 0x4000, peer.socket.local);
    sendChannelData(s, 0x4000, 5, 'x');
    await until(() => peer.got.length === 5);
    s.detach();
    expect(s.server.stats()).toMatchObject({ allocations: 0, fastPath: { routes: 0, packetsToPeers: 5 } });
    sendChannelData(s, 0x4000, 5, 'y');
    await pause(150);
    expect(peer.got.length).toBe(5);
  });

  it('a bandwidth quota is one bucket for the fast path and the JS path: together they relay the burst, and the rest is dropped and counted', async () => {
    const s = await site({ quotas: { bandwidthBytesPerSecond: 100 } }); // the burst (64 KiB) is what passes here
    expect(s.server.channelOffload).toEqual({ enabled: true });
    const peer = await peerSocket();
    const other = await peerSocket();
    await bind(s, 0x4000, peer.socket.local);
    expect((await s.client.request(TurnMethod.CreatePermission, [xorPeerAddress(other.socket.local)])).class).toBe('success');
    // 16 Data indications through JS first (16,000 B to the client), then 60 ChannelData back from the bound peer.
    for (let i = 0; i < 16; i++) other.socket.send(Buffer.alloc(1000, 2), s.relayed);
    await until(() => s.client.received.length === 16);
    for (let i = 0; i < 60; i++) peer.socket.send(Buffer.alloc(1000, 3), s.relayed);
    // Up: 80 datagrams of 1,000 B: 65 fit in the burst.
    for (let i = 0; i < 80; i++) s.client.socket.send(encodeChannelData(0x4000, Buffer.alloc(1000, 4)), s.listen.local);
    await until(() => peer.got.length >= 65 && s.client.received.length >= 16 + 49);
    await pause(150);
    const st = s.server.stats();
    expect(peer.got.length).toBe(65);
    expect(s.client.received.length).toBe(16 + 49); // 65,536 B: 16 through JS, 49 through the fast path
    expect(st.fastPath.packetsToPeers).toBe(65);
    expect(st.fastPath.packetsToClients).toBe(49);
    expect(st.drops.bandwidth).toBe(15 + 11); // the fast path handed the excess to JS, which asked the same bucket
  });

  it('off with an injected clock, and then JS relays everything', async () => {
    const clock = { now: () => performance.now(), setTimeout: (fn: () => void, ms: number) => systemClock.setTimeout(fn, ms) };
    const s = await site({}, clock);
    expect(s.server.channelOffload.enabled).toBe(false);
    expect(s.server.channelOffload.reason).toMatch(/clock/);
    const peer = await peerSocket();
    await bind(s, 0x4000, peer.socket.local);
    sendChannelData(s, 0x4000, 20, 'js');
    await until(() => peer.got.length === 20);
    expect(s.server.stats()).toMatchObject({ packetsToPeers: 20, fastPath: { packetsToPeers: 0, routes: 0 } });
  });
});
