import { describe, expect, it } from 'vitest';
import type { Endpoint } from '@natkit/net';
import { createVirtualNetwork, ManualClock, natPresets, type DropEvent, type NatOptions } from '../src/index.js';
import { bytes, collect, publicSocket } from './fixtures.js';

/** Two NATs under the internet, one host behind each, plus a public server. */
async function twoNats(natA: NatOptions, natB: NatOptions, seed = 1) {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed });
  const routerA = vnet.createRouter(vnet.internet, { name: 'natA', nat: natA });
  const routerB = vnet.createRouter(vnet.internet, { name: 'natB', nat: natB });
  const a = await vnet.createHost(routerA, { name: 'hostA' }).network.bindUdp({ family: 4, port: 4000 });
  const b = await vnet.createHost(routerB, { name: 'hostB' }).network.bindUdp({ family: 4, port: 5000 });
  const drops: DropEvent[] = [];
  vnet.onDrop((d) => drops.push(d));
  return { clock, vnet, routerA, routerB, a, b, drops };
}

describe('two hosts behind two NATs', () => {
  it('port-restricted cones punch: the first packet is filtered, the answer and the retry pass', async () => {
    const { clock, routerA, routerB, a, b, drops } = await twoNats(natPresets.portRestrictedCone, natPresets.portRestrictedCone);
    const atA = collect(a);
    const atB = collect(b);
    const aPublic = { address: routerA.externalAddresses[0]!, port: 4000 };
    const bPublic = { address: routerB.externalAddresses[0]!, port: 5000 };
    a.send(bytes('punch'), bPublic);
    await clock.advance(0);
    // B has no mapping yet: NAT B drops it, but NAT A now permits B's endpoint.
    expect(drops.map((d) => [d.reason, d.node])).toEqual([['no-mapping', 'natB']]);
    b.send(bytes('hello A'), aPublic);
    const got = await clock.runUntil(atA.next());
    expect(got).toEqual({ text: 'hello A', from: bPublic });
    a.send(bytes('hello B'), bPublic);
    expect(await clock.runUntil(atB.next())).toEqual({ text: 'hello B', from: aPublic });
  });

  it('symmetric to port-restricted fails: the port a server saw is not the one towards the peer', async () => {
    const { clock, vnet, routerA, routerB, a, b, drops } = await twoNats(natPresets.symmetric, natPresets.portRestrictedCone);
    const server = await publicSocket(vnet, 3478);
    const atServer = collect(server);
    const bPublic = { address: routerB.externalAddresses[0]!, port: 5000 };
    a.send(bytes('binding'), server.local);
    const seen = (await clock.runUntil(atServer.next())).from; // A's "server reflexive" endpoint
    a.send(bytes('punch'), bPublic); // a new mapping, on another port
    b.send(bytes('punch'), seen); // B punches towards the reflexive endpoint
    await clock.advance(0);
    const towardsB = routerA.mappings(4).find((m) => m.external.port !== seen.port)!.external;
    expect(towardsB.port).not.toBe(seen.port);
    // A's punch finds no mapping at B's NAT yet; B's is refused by A's NAT (the mapping B aimed
    // at only admits the server), so neither side ever gets through.
    expect(drops.map((d) => [d.reason, d.node])).toEqual([
      ['no-mapping', 'natB'],
      ['filtered', 'natA'],
    ]);
    expect(routerB.mappings(4).map((m) => m.external.port)).toEqual([5000]);
  });

  it('delivers asynchronously, after the clock moves, and copies the datagram on send', async () => {
    const { clock, vnet, routerB, a, b } = await twoNats(natPresets.fullCone, natPresets.fullCone);
    b.send(bytes('open'), (await publicSocket(vnet, 9)).local); // a full cone needs a mapping first
    const atB = collect(b);
    const buffer = bytes('original');
    a.send(buffer, { address: routerB.externalAddresses[0]!, port: 5000 });
    buffer.set(bytes('mutated!'));
    expect(atB.messages).toHaveLength(0);
    await clock.advance(0);
    expect(atB.messages.map((m) => m.text)).toEqual(['original']);
  });
});

describe('chained NAT (carrier-grade NAT in front of a home NAT)', () => {
  it('the server sees the carrier address; the reply crosses both NATs back', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const cgnat = vnet.createRouter(vnet.internet, { name: 'cgnat', nat: natPresets.fullCone, ipv4Cidr: '100.64.0.0/16' });
    const home = vnet.createRouter(cgnat, { name: 'home', nat: natPresets.portRestrictedCone, ipv4Cidr: '192.168.1.0/24' });
    const server = await vnet.createHost(vnet.internet, { ipv4: '203.0.113.1' }).network.bindUdp({ family: 4, address: '203.0.113.1', port: 3478 });
    const host = vnet.createHost(home);
    const client = await host.network.bindUdp({ family: 4, port: 6000 });
    const atServer = collect(server);
    const atClient = collect(client);
    expect(host.address(4)).toBe('192.168.1.2');
    expect(home.externalAddresses).toEqual(['100.64.0.2', 'fd00:0:0:1::2']); // v4 and (NAT66) v6
    client.send(bytes('binding'), server.local);
    const req = await clock.runUntil(atServer.next());
    expect(req.from).toEqual({ address: cgnat.externalAddresses[0], port: 6000 });
    server.send(bytes('mapped'), req.from);
    expect(await clock.runUntil(atClient.next())).toEqual({ text: 'mapped', from: { address: '203.0.113.1', port: 3478 } });
    expect(home.mappings().map((m) => [m.internal.address, m.external.address])).toEqual([['192.168.1.2', '100.64.0.2']]);
  });
});

describe('hairpinning', () => {
  for (const hairpinning of [true, false]) {
    it(`a host reaches its neighbour through the NAT's external address only with hairpinning ${hairpinning ? 'on' : 'off'}`, async () => {
      const clock = new ManualClock();
      const vnet = createVirtualNetwork({ clock });
      const nat = vnet.createRouter(vnet.internet, { nat: { ...natPresets.fullCone, hairpinning } });
      const h1 = await vnet.createHost(nat).network.bindUdp({ family: 4, port: 1111 });
      const h2 = await vnet.createHost(nat).network.bindUdp({ family: 4, port: 2222 });
      const server = await publicSocket(vnet, 3478);
      h2.send(bytes('open'), server.local); // creates h2's mapping
      const drops: string[] = [];
      vnet.onDrop((d) => drops.push(d.reason));
      const atH2 = collect(h2);
      h1.send(bytes('hi neighbour'), { address: nat.externalAddresses[0]!, port: 2222 });
      await clock.advance(0);
      if (hairpinning) {
        // RFC 4787 REQ-9: the source is h1's external endpoint, not its private one.
        expect(atH2.messages).toEqual([{ text: 'hi neighbour', from: { address: nat.externalAddresses[0], port: 1111 } }]);
        expect(drops).toEqual([]);
      } else {
        expect(atH2.messages).toEqual([]);
        expect(drops).toEqual(['no-hairpin']);
      }
    });
  }
});

describe('mapping lifetime with the manual clock', () => {
  async function setup(nat: NatOptions) {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const router = vnet.createRouter(vnet.internet, { nat });
    const client = await vnet.createHost(router).network.bindUdp({ family: 4, port: 7000 });
    const server = await publicSocket(vnet, 3478);
    const drops: string[] = [];
    vnet.onDrop((d) => drops.push(d.reason));
    const atClient = collect(client);
    const mapped: Endpoint = { address: router.externalAddresses[0]!, port: 7000 };
    return { clock, client, server, drops, atClient, mapped };
  }

  it('expires after the lifetime unless outbound traffic refreshes it', async () => {
    const { clock, client, server, drops, atClient, mapped } = await setup({ ...natPresets.portRestrictedCone, mappingLifetimeMs: 30_000 });
    client.send(bytes('keepalive'), server.local);
    await clock.advance(20_000);
    client.send(bytes('keepalive'), server.local); // refreshed until t=50 s
    await clock.advance(25_000);
    server.send(bytes('at 45 s'), mapped);
    await clock.advance(10_000);
    server.send(bytes('at 55 s'), mapped);
    await clock.advance(0);
    expect(atClient.messages.map((m) => m.text)).toEqual(['at 45 s']);
    expect(drops).toEqual(['expired']);
  });

  for (const inboundRefresh of [false, true]) {
    it(`inbound traffic ${inboundRefresh ? 'refreshes' : 'does not refresh'} the mapping when inboundRefresh is ${inboundRefresh}`, async () => {
      const { clock, client, server, drops, atClient, mapped } = await setup({ mappingLifetimeMs: 30_000, inboundRefresh });
      client.send(bytes('open'), server.local);
      await clock.advance(20_000);
      server.send(bytes('at 20 s'), mapped);
      await clock.advance(25_000);
      server.send(bytes('at 45 s'), mapped);
      await clock.advance(0);
      expect(atClient.messages.map((m) => m.text)).toEqual(inboundRefresh ? ['at 20 s', 'at 45 s'] : ['at 20 s']);
      expect(drops).toEqual(inboundRefresh ? [] : ['expired']);
    });
  }
});

describe('carrier-grade mapping limit', () => {
  it('drops the outbound packet that would exceed maxMappingsPerHost, with the reason', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const router = vnet.createRouter(vnet.internet, { name: 'cgn', nat: { ...natPresets.symmetric, maxMappingsPerHost: 2 } });
    const client = await vnet.createHost(router).network.bindUdp({ family: 4 });
    const servers = await Promise.all([1, 2, 3].map(() => publicSocket(vnet, 53)));
    const counts = servers.map((s) => collect(s));
    for (const s of servers) client.send(bytes('q'), s.local);
    await clock.advance(0);
    expect(counts.map((c) => c.messages.length)).toEqual([1, 1, 0]);
    expect(vnet.recentDrops().map((d) => [d.reason, d.node, d.dst.address])).toEqual([['mapping-limit', 'cgn', servers[2]!.local.address]]);
    expect(vnet.stats().drops['mapping-limit']).toBe(1);
  });
});

describe('blocked UDP and unreachable destinations', () => {
  it('a blocking router drops everything; unknown addresses and closed ports have their own reasons', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const firewall = vnet.createRouter(vnet.internet, { name: 'corp', blocked: true });
    const open = vnet.createRouter(vnet.internet, { name: 'home' });
    const blockedClient = await vnet.createHost(firewall).network.bindUdp({ family: 4 });
    const client = await vnet.createHost(open).network.bindUdp({ family: 4 });
    const server = vnet.createHost(vnet.internet, { ipv4: '203.0.113.50' });
    blockedClient.send(bytes('x'), { address: '203.0.113.50', port: 3478 });
    client.send(bytes('x'), { address: '203.0.113.50', port: 3478 });
    client.send(bytes('x'), { address: '192.0.2.99', port: 3478 });
    await clock.advance(0);
    expect(vnet.recentDrops().map((d) => [d.reason, d.node])).toEqual([
      ['blocked', 'corp'],
      ['no-socket', server.name],
      ['no-route', 'internet'],
    ]);
  });
});
