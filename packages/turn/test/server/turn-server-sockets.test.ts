import type { Endpoint, UdpSocket } from '@natkit/net';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import { createTurnServer } from '../../src/index.js';
import { channelNumber, data, encodeChannelData, lifetime, readXorRelayedAddresses, requestedTransport, TurnMethod, xorPeerAddress } from '../../src/proto/index.js';
import type { ClientContext } from '../../src/server/client-transport.js';
import { errorCodeOf, RawTurnClient } from './raw-turn-client.js';
import { vnetTurnSite } from './vnet-fixture.js';

const UDP = requestedTransport(17);

describe('sockets attached and detached at run time', () => {
  it('serves every attached socket; detaching one deletes only its allocations; attaching twice is harmless', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock, seed: 5 });
    const host = vnet.createHost(vnet.internet);
    const address = host.addresses[0] ?? '';
    const a = await host.network.bindUdp({ family: 4, address, port: 3478 });
    const b = await host.network.bindUdp({ family: 4, address, port: 3479 });
    const server = createTurnServer({ users: new Map([['alice', 'pw']]), relayPorts: { low: 50000, high: 50099 } }, { network: host.network, clock });
    const detachA = server.attachUdpSocket(a);
    server.attachUdpSocket(a);
    server.attachUdpSocket(b);
    const clientHost = vnet.createHost(vnet.internet);
    const ca = new RawTurnClient(await clientHost.network.bindUdp({ family: 4 }), a.local, 'alice', 'pw');
    const cb = new RawTurnClient(await clientHost.network.bindUdp({ family: 4 }), b.local, 'alice', 'pw');
    expect((await clock.runUntil(ca.request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect((await clock.runUntil(cb.request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect(server.stats()).toMatchObject({ allocations: 2, responses: { 401: 2 } }); // one answer per request, not two
    detachA();
    expect(server.stats()).toMatchObject({ allocations: 1, allocationsDeleted: 1 });
    expect(errorCodeOf(await clock.runUntil(cb.request(TurnMethod.Refresh, [lifetime(600)])))).toBe(0);
    await server.close();
    expect(server.stats().allocations).toBe(0);
  });
});

describe('stream transports (the contract used by the TCP/TLS listeners)', () => {
  /** A client speaking to the server through `handleClientData`, as a TCP listener would carry it. */
  function streamClient(site: Awaited<ReturnType<typeof vnetTurnSite>>, connectionId: number): { client: RawTurnClient; ctx: ClientContext } {
    let deliver: (d: Uint8Array, from: Endpoint) => void = () => undefined;
    const ctx: ClientContext = { transport: 'tcp', client: { address: '203.0.113.50', port: 40000 }, local: site.serverAddress, connectionId, reply: (b) => deliver(b, site.serverAddress) };
    const pipe = {
      onMessage: (h: (d: Uint8Array, from: Endpoint) => void) => {
        deliver = h;
        return () => undefined;
      },
      send: (bytes: Uint8Array) => site.server.handleClientData(bytes, ctx),
    };
    return { client: new RawTurnClient(pipe as unknown as UdpSocket, site.serverAddress, 'alice', 'alice-pw'), ctx };
  }

  it('keys allocations by connection, pads ChannelData to 4, and deletes the allocation when the connection closes', async () => {
    const site = await vnetTurnSite();
    const peer = await site.peer();
    const one = streamClient(site, 1);
    const alloc = await site.run(one.client.request(TurnMethod.Allocate, [UDP]));
    const relayed = (readXorRelayedAddresses(alloc) as Endpoint[])[0]!;
    expect((await site.run(one.client.request(TurnMethod.ChannelBind, [channelNumber(0x4000), xorPeerAddress(peer.socket.local)]))).class).toBe('success');
    peer.socket.send(Uint8Array.of(1, 2, 3, 4, 5), relayed);
    await site.clock.advance(100);
    expect(one.client.received.map((r) => r.data.length)).toEqual([12]); // 4 + 5 + 3 padding (RFC 8656 §12.5)
    // A framed ChannelData message is accepted with or without its padding.
    site.server.handleClientData(encodeChannelData(0x4000, Uint8Array.of(9, 9, 9, 9, 9), { pad: true }), one.ctx);
    site.server.handleClientData(encodeChannelData(0x4000, Uint8Array.of(8, 8, 8, 8, 8)), one.ctx);
    await site.clock.advance(100);
    expect(peer.received.map((r) => Array.from(r.data))).toEqual([[9, 9, 9, 9, 9], [8, 8, 8, 8, 8]]);
    // Same client address and port, a new connection: a new 5-tuple, not 437.
    const two = streamClient(site, 2);
    expect((await site.run(two.client.request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect(site.server.handleClientData(Uint8Array.of(0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...new Uint8Array(12)), one.ctx)).toBe(false); // Binding: not TURN's
    site.server.connectionClosed(one.ctx);
    expect(site.server.stats()).toMatchObject({ allocations: 1, allocationsDeleted: 1 });
  });
});

describe('1:1 NAT and bandwidth', () => {
  it('announces the advertised relay address and refuses it as a peer', async () => {
    const site = await vnetTurnSite({ advertisedRelayAddresses: ['198.51.100.9'] });
    const c = await site.client();
    const ok = await site.run(c.request(TurnMethod.Allocate, [UDP]));
    expect((readXorRelayedAddresses(ok) as readonly { address: string }[])[0]?.address).toBe('198.51.100.9');
    const self = await site.run(c.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: '198.51.100.9', port: 5 })]));
    expect(errorCodeOf(self)).toBe(403);
  });

  it('drops relayed bytes beyond the per-allocation bandwidth', async () => {
    const site = await vnetTurnSite({ quotas: { bandwidthBytesPerSecond: 1000 } });
    const c = await site.client();
    const peer = await site.peer();
    await site.run(c.request(TurnMethod.Allocate, [UDP]));
    await site.run(c.request(TurnMethod.CreatePermission, [xorPeerAddress(peer.socket.local)]));
    for (let i = 0; i < 100; i++) c.sendIndication(TurnMethod.Send, [xorPeerAddress(peer.socket.local), data(new Uint8Array(1000))]);
    await site.clock.advance(100);
    expect(peer.received.length).toBeGreaterThan(0);
    expect(peer.received.length).toBeLessThanOrEqual(66); // burst of 64 KiB, no more
    expect(site.server.stats().drops.bandwidth).toBe(100 - peer.received.length);
  });
});
