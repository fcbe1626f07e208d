import type { MessageHandler, Network, UdpSocket } from '@natkit/net';
import { startStunServer } from '@natkit/stun';
import { createVirtualNetwork, ManualClock, natPresets } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import { allocateRelay, createTurnServer, type TurnClientError } from '../../src/index.js';
import { collect } from './vnet-relay-site.js';

/*
 * A client behind a NAT whose mappings live 30 s, idle for minutes between the allocation's
 * refreshes: without traffic to the server the NAT forgets the allocation's 5-tuple, so the
 * peers' data is dropped at the NAT and the next Refresh comes from a new port (437). With
 * `keepaliveMs` the client's Binding requests keep the mapping, and tell when it changed anyway.
 */
async function natSite(keepaliveMs: number | undefined, rebindable = false) {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: 11 });
  const serverHost = vnet.createHost(vnet.internet);
  const address = serverHost.addresses[0] ?? '';
  const server = createTurnServer(
    { users: new Map([['alice', 'alice-pw']]), realm: 'vnet.test', relayPorts: { low: 50000, high: 50099 } },
    { network: serverHost.network, clock, wallSeconds: () => 1_700_000_000 + clock.now() / 1000 },
  );
  // STUN and TURN on one socket, as in `natkit serve` (the STUN server answers the Binding requests).
  const shared: Network = {
    ...serverHost.network,
    bindUdp: async (o) => {
      const socket = await serverHost.network.bindUdp(o);
      server.attachUdpSocket(socket);
      return socket;
    },
    localAddressFor: (r) => serverHost.network.localAddressFor(r),
  };
  await startStunServer({ primary: { address, port: 3478 } }, { network: shared, clock });
  // Random ports: a mapping made again after expiry has another port (another 5-tuple).
  const nat = vnet.createRouter(vnet.internet, { nat: { ...natPresets.portRestrictedCone, portAllocation: 'random', mappingLifetimeMs: 30_000 } });
  const client = vnet.createHost(nat);
  const peerHost = vnet.createHost(vnet.internet);
  const peer = await peerHost.network.bindUdp({ family: 4, address: peerHost.addresses[0] ?? '' });
  const options = { server: { address, port: 3478 }, credentials: { username: 'alice', password: 'alice-pw' }, ...(keepaliveMs === undefined ? {} : { keepaliveMs }) };
  const own = rebindable ? await rebindableSocket(client.network) : null;
  const allocation = await clock.runUntil(allocateRelay(options, { network: client.network, clock, ...(own === null ? {} : { socket: own.socket }) }));
  const errors: TurnClientError[] = [];
  allocation.socket.onError((e) => errors.push(e as TurnClientError));
  await clock.runUntil(allocation.socket.permit([peer.local]));
  return { clock, server, peer, allocation, errors, got: collect(allocation.socket), rebind: own?.rebind ?? (() => Promise.resolve()) };
}

/** A socket whose traffic moves to a new local port on rebind(): a NAT rebinding as the server sees it. */
async function rebindableSocket(network: Network): Promise<{ socket: UdpSocket; rebind: () => Promise<void> }> {
  let current = await network.bindUdp({ family: 4 });
  const handlers = new Set<MessageHandler>();
  const listen = (s: UdpSocket): void => {
    s.onMessage((d, from) => {
      if (s === current) for (const h of [...handlers]) h(d, from);
    });
  };
  listen(current);
  const socket: UdpSocket = {
    local: current.local,
    family: 4,
    send: (d, to) => current.send(d, to),
    onMessage: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    onError: (h) => current.onError(h),
    close: () => current.close(),
    [Symbol.asyncDispose]: () => current.close(),
  };
  const rebind = async (): Promise<void> => {
    const old = current;
    current = await network.bindUdp({ family: 4 });
    listen(current);
    await old.close();
  };
  return { socket, rebind };
}

describe('RelayedSocket keepalive behind a NAT with 30 s mappings', () => {
  it('with keepaliveMs 15 s, an idle allocation receives every minute for 12 minutes (refreshes included)', async () => {
    const s = await natSite(15_000);
    const sent: string[] = [];
    for (let minute = 1; minute <= 12; minute++) {
      await s.clock.advance(59_500);
      sent.push(`minute ${minute}`);
      s.peer.send(Buffer.from(`minute ${minute}`), s.allocation.relayed);
      await s.clock.advance(500);
    }
    expect(s.got.map((m) => m.data)).toEqual(sent);
    expect(s.errors).toEqual([]);
    expect(s.server.stats().allocations).toBe(1);
    await s.clock.runUntil(s.allocation.socket.close());
  });

  it('a keepalive answered with another mapped address (the NAT rebound) reports the allocation lost at once', async () => {
    // Keepalives every 60 s behind 30 s mappings: the NAT forgets the mapping, the keepalive gets a new one.
    const s = await natSite(60_000);
    await s.clock.advance(61_000);
    expect(s.errors.map((e) => e.code)).toEqual(['ERR_TURN_CLOSED']);
    expect(s.errors[0]?.message).toMatch(/NAT mapping to the server changed .* allocation is lost/);
    expect(s.allocation.socket.closed).toBe(true);
  });

  it('a rebinding while we keep sending (the server, knowing only the old 5-tuple, goes silent) is found by a keepalive within two intervals', async () => {
    const s = await natSite(15_000, true);
    await s.clock.advance(5_000);
    await s.rebind();
    // Data to the peer every 2 s: never 15 s without sending, but nothing comes back from the server.
    for (let i = 0; i < 15 && s.errors.length === 0; i++) {
      s.allocation.socket.send(Buffer.from(`tick ${i}`), s.peer.local);
      await s.clock.advance(2_000);
    }
    expect(s.errors.map((e) => e.code)).toEqual(['ERR_TURN_CLOSED']);
    expect(s.errors[0]?.message).toMatch(/NAT mapping to the server changed/);
  });

  it('checkNow after a rebinding (a stalled connection asking) reports the allocation lost at once, not at the next keepalive', async () => {
    const s = await natSite(25_000, true);
    await s.clock.advance(5_000);
    await s.rebind();
    s.allocation.socket.send(Buffer.from('lost'), s.peer.local);
    await s.clock.advance(2_000);
    expect(s.errors).toEqual([]); // the 25 s keepalive is still far off
    expect(s.allocation.socket.checkNow()).toBe(true);
    await s.clock.advance(100);
    expect(s.errors.map((e) => e.code)).toEqual(['ERR_TURN_CLOSED']);
    expect(s.errors[0]?.message).toMatch(/NAT mapping to the server changed/);
    expect(s.allocation.socket.closed).toBe(true);
    expect(s.allocation.socket.checkNow()).toBe(false); // closed: nothing more leaves
  });

  it('checkNow is rate-limited: at most one Binding per 3 s; an unchanged mapping keeps the allocation', async () => {
    const s = await natSite(25_000);
    expect(s.allocation.socket.checkNow()).toBe(true);
    expect(s.allocation.socket.checkNow()).toBe(false); // still unanswered
    await s.clock.advance(1_000);
    expect(s.allocation.socket.checkNow()).toBe(false); // answered, but within 3 s
    await s.clock.advance(2_000);
    expect(s.allocation.socket.checkNow()).toBe(true);
    let granted = 0;
    for (let i = 0; i < 100; i++) {
      if (s.allocation.socket.checkNow()) granted++;
      await s.clock.advance(100);
    }
    expect(granted).toBe(3); // 10 s of asking every 100 ms: at 3, 6, 9 s after the last
    expect(s.errors).toEqual([]);
    s.peer.send(Buffer.from('still there'), s.allocation.relayed);
    await s.clock.advance(500);
    expect(s.got.map((m) => m.data)).toEqual(['still there']);
    await s.clock.runUntil(s.allocation.socket.close());
  });

  it('without it (the control case), the NAT forgets the mapping: the peer\'s data is lost', async () => {
    const s = await natSite(undefined);
    await s.clock.advance(60_000);
    s.peer.send(Buffer.from('still there?'), s.allocation.relayed);
    await s.clock.advance(500);
    expect(s.got).toEqual([]);
    await s.clock.runUntil(s.allocation.socket.close());
  });
});
