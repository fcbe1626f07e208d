import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock, natPresets } from '../src/index.js';
import { bytes, collect, publicSocket } from './fixtures.js';

describe('IPv6', () => {
  it('two hosts behind NAT66 port-restricted cones punch over IPv6 like over IPv4', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const natA = vnet.createRouter(vnet.internet, { nat: natPresets.portRestrictedCone });
    const natB = vnet.createRouter(vnet.internet, { nat: natPresets.portRestrictedCone });
    const hostA = vnet.createHost(natA);
    const a = await hostA.network.bindUdp({ family: 6, port: 4000 });
    const b = await vnet.createHost(natB).network.bindUdp({ family: 6, port: 5000 });
    const extA = natA.natTable(6)!.externalAddresses[0]!;
    const extB = natB.natTable(6)!.externalAddresses[0]!;
    expect(extA).toMatch(/^2001:db8::/);
    expect(await hostA.network.localAddressFor({ address: '2001:db8::1', port: 1 })).toBe(hostA.address(6));
    expect(hostA.address(6)).toMatch(/^fd00:/);
    const atA = collect(a);
    const atB = collect(b);
    a.send(bytes('punch'), { address: extB, port: 5000 });
    b.send(bytes('to A'), { address: extA, port: 4000 });
    expect(await clock.runUntil(atA.next())).toEqual({ text: 'to A', from: { address: extB, port: 5000 } });
    // A non-canonical spelling of the same address reaches the same endpoint.
    a.send(bytes('to B'), { address: extB.replace('::', ':0:0:0:0:0:').toUpperCase(), port: 5000 });
    expect(await clock.runUntil(atB.next())).toEqual({ text: 'to B', from: { address: extA, port: 4000 } });
  });

  it('without NAT66 the router is a stateful firewall: addresses are kept, unsolicited packets filtered', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const home = vnet.createRouter(vnet.internet, { name: 'home', nat: natPresets.portRestrictedCone, nat66: false, ipv6Cidr: '2001:db8:aa::/64' });
    const host = vnet.createHost(home);
    const client = await host.network.bindUdp({ family: 6, port: 7000 });
    const server = await publicSocket(vnet, 3478, 6);
    const atServer = collect(server);
    const atClient = collect(client);
    const global = { address: host.address(6)!, port: 7000 };
    expect(global.address).toBe('2001:db8:aa::2');
    server.send(bytes('unsolicited'), global);
    await clock.advance(0);
    expect(vnet.recentDrops().map((d) => [d.reason, d.node])).toEqual([['filtered', 'home']]);
    client.send(bytes('hello'), server.local);
    expect((await clock.runUntil(atServer.next())).from).toEqual(global); // no translation
    server.send(bytes('reply'), global);
    expect((await clock.runUntil(atClient.next())).text).toBe('reply');
    // IPv4 through the same router is still translated.
    expect(home.natTable(4)!.translates).toBe(true);
    expect(home.natTable(6)!.translates).toBe(false);
  });

  it('refuses to send IPv4 from an IPv6 socket, as an error event', async () => {
    const vnet = createVirtualNetwork({ clock: new ManualClock() });
    const s = await vnet.createHost(vnet.internet).network.bindUdp({ family: 6 });
    const codes: unknown[] = [];
    s.onError((e) => codes.push((e as { code?: string }).code));
    s.send(bytes('x'), { address: '203.0.113.1', port: 1 });
    expect(codes).toEqual(['ERR_BAD_ADDRESS']);
  });
});
