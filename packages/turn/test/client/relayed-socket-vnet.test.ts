import { describe, expect, it } from 'vitest';
import type { TurnClientError } from '../../src/index.js';
import { collect, vnetRelaySite as site } from './vnet-relay-site.js';

/*
 * The client's I/O adapter on the virtual network with a manual clock, against natkit's TURN
 * server: refreshes (allocation, permissions, channels) are sent on time, so that an idle relayed
 * socket still works after 25 virtual minutes, and both directions keep flowing.
 */
describe('RelayedSocket over the virtual network', () => {
  it('keeps allocation, permission and channel alive for 25 idle minutes, then still relays both ways', async () => {
    const s = await site();
    const a = await s.allocate();
    const got = collect(a.socket);
    a.socket.send(Buffer.from('hi'), s.peer.local);
    await s.clock.advance(200);
    expect(s.atPeer).toEqual([{ data: 'hi', from: a.relayed }]);
    const channel = a.socket.channelOf(s.peer.local);
    expect(channel).toBeGreaterThanOrEqual(0x4000);
    const before = s.server.stats().requests;
    for (let minute = 0; minute < 25; minute++) await s.clock.advance(60_000);
    // 1500 s outlive the allocation (600 s), the permission (300 s) and the channel (600 s): the
    // allocation and the channel were refreshed twice each, the permission at least four times.
    expect(s.server.stats().requests - before).toBeGreaterThanOrEqual(8);
    expect(s.server.stats().allocations).toBe(1);
    expect(a.socket.channelOf(s.peer.local)).toBe(channel);
    s.peer.send(Buffer.from('from the peer'), a.relayed);
    a.socket.send(Buffer.from('still here'), s.peer.local);
    await s.clock.advance(200);
    expect(got).toEqual([{ data: 'from the peer', from: s.peer.local }]);
    expect(s.atPeer.map((m) => m.data)).toEqual(['hi', 'still here']);
    await s.clock.runUntil(a.socket.close());
    expect(s.server.stats().allocations).toBe(0);
  });

  it('holds datagrams sent before the channel is bound and delivers them in order', async () => {
    const s = await site();
    const a = await s.allocate();
    for (let i = 0; i < 5; i++) a.socket.send(Buffer.from(`m${i}`), s.peer.local);
    await s.clock.advance(500);
    expect(s.atPeer.map((m) => m.data)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('reports an error to onError when the server refuses a peer (403), and keeps working for others', async () => {
    const s = await site();
    const a = await s.allocate();
    const errors: Error[] = [];
    a.socket.onError((e) => errors.push(e));
    a.socket.send(Buffer.from('to a private address'), { address: '10.0.0.1', port: 9 });
    await s.clock.advance(500);
    expect(errors).toHaveLength(1);
    expect((errors[0] as TurnClientError).code).toBe('ERR_TURN_FORBIDDEN');
    a.socket.send(Buffer.from('fine'), s.peer.local);
    await s.clock.advance(500);
    expect(s.atPeer.map((m) => m.data)).toEqual(['fine']);
  });

  it('fails with wrong credentials without retrying forever', async () => {
    const s = await site();
    await expect(s.allocate('wrong')).rejects.toMatchObject({ code: 'ERR_TURN_AUTH' });
  });

  it('sends ChannelData once bound without a request per datagram', async () => {
    const s = await site();
    const a = await s.allocate();
    a.socket.send(Buffer.from('first'), s.peer.local);
    await s.clock.advance(200);
    const before = s.server.stats().requests;
    for (let i = 0; i < 50; i++) a.socket.send(Buffer.from(`d${i}`), s.peer.local);
    await s.clock.advance(200);
    expect(s.atPeer).toHaveLength(51);
    expect(s.server.stats().requests - before).toBe(0);
  });

  it('falls back to a permission and Send indications when the server refuses channels (508 quota), without a ChannelBind per datagram', async () => {
    const s = await site({ channelsPerAllocation: 0 });
    const a = await s.allocate();
    a.socket.send(Buffer.from('first'), s.peer.local);
    await s.clock.advance(500);
    expect(s.atPeer.map((m) => m.data)).toEqual(['first']);
    expect(a.socket.channelOf(s.peer.local)).toBeUndefined();
    const before = s.server.stats().requests;
    for (let i = 0; i < 20; i++) a.socket.send(Buffer.from(`d${i}`), s.peer.local);
    await s.clock.advance(500);
    expect(s.atPeer).toHaveLength(21);
    expect(s.server.stats().requests - before).toBe(0);
  });

  it('queues a burst to 30 new peers (at most 8 requests in flight) and delivers to every one', async () => {
    const s = await site();
    const a = await s.allocate();
    const errors: Error[] = [];
    a.socket.onError((e) => errors.push(e));
    const peers = await Promise.all(Array.from({ length: 30 }, () => s.peerNetwork.bindUdp({ family: 4, address: s.peer.local.address })));
    let received = 0;
    for (const p of peers) p.onMessage(() => received++);
    for (const p of peers) a.socket.send(Buffer.from('burst'), p.local);
    await s.clock.advance(3000);
    expect(errors).toEqual([]);
    expect(received).toBe(30);
  });
});
