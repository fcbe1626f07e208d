import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock, natPresets, type NatOptions } from '@natkit/vnet';
import { createStunServer, diagnose, resolveServers } from '../../src/index.js';

/** IPv6 and IPv4 side by side over the virtual network: each family gets its own sockets and verdict. */
async function dualStack(nat: NatOptions, nat66: boolean, serverNames = ['203.0.113.1:3478', '[2001:db8::1]:3478']) {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: 7 });
  const serverHost = vnet.createHost(vnet.internet, {
    ipv4: ['203.0.113.1', '203.0.113.2'],
    ipv6: ['2001:db8::1', '2001:db8::2'],
  });
  const servers = await Promise.all(
    [
      { primary: { address: '203.0.113.1', port: 3478 }, alternate: { address: '203.0.113.2', port: 3479 } },
      { primary: { address: '2001:db8::1', port: 3478 }, alternate: { address: '2001:db8::2', port: 3479 } },
    ].map(async (options) => {
      const s = createStunServer(options, { network: serverHost.network, clock });
      await s.start();
      return s;
    }),
  );
  const router = vnet.createRouter(vnet.internet, { nat, nat66 });
  const client = vnet.createHost(router, { ipv4: true, ipv6: true });
  try {
    return await clock.runUntil(
      diagnose(
        { servers: serverNames },
        { network: client.network, clock },
      ),
      { maxMs: 20_000 },
    );
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await vnet.close();
  }
}

describe('diagnose per address family (IPv6 next to IPv4)', () => {
  it('an IPv6 firewall without NAT66 is a UDP firewall, while IPv4 is NATed', async () => {
    const report = await dualStack(natPresets.portRestrictedCone, false);
    expect(report.ipv4).toMatchObject({ classic: 'port-restricted-cone', natDetected: true });
    expect(report.ipv6).toMatchObject({
      udp: true,
      natDetected: false,
      mapping: 'endpoint-independent',
      filtering: 'address-and-port-dependent',
      classic: 'udp-firewall',
    });
    expect(report.ipv6?.outlook.verdict).toBe('punchable');
    expect(report.ipv6?.mappedAddress?.address).toMatch(/^2001:db8:/);
  });

  it('NAT66 with symmetric mapping is reported as symmetric for IPv6 too', async () => {
    const report = await dualStack(natPresets.symmetric, true);
    expect(report.ipv6).toMatchObject({ natDetected: true, mapping: 'address-and-port-dependent', classic: 'symmetric' });
    expect(report.ipv4).toMatchObject({ mapping: 'address-and-port-dependent', classic: 'symmetric' });
  });

  // Answers come from the canonical text of the address (2001:db8::1, as the socket reports it);
  // compared with the server as typed, every answer was a "wrong source": IPv6 read as blocked.
  it('a server written in a non-canonical IPv6 form (2001:0DB8:0:0::1) is answered, not taken for blocked UDP', async () => {
    const report = await dualStack(natPresets.portRestrictedCone, false, ['[2001:0DB8:0:0::1]:3478']);
    expect(report.ipv6).toMatchObject({ udp: true, classic: 'udp-firewall' });
    expect(report.ipv6?.servers[0]?.address).toEqual({ address: '2001:db8::1', port: 3478 });
  });

  it('resolveServers writes IP literals in their canonical form', async () => {
    const servers = await resolveServers(['[2001:0db8:0000::0001]:3478', { address: '2001:DB8:0:0:0:0:0:2', port: 3479 }, '203.0.113.1', '[::FFFF:203.0.113.9]', '[fe80::0:1%eth0]']);
    expect(servers).toEqual([
      { address: '2001:db8::1', port: 3478 },
      { address: '2001:db8::2', port: 3479 },
      { address: '203.0.113.1', port: 3478 },
      { address: '::ffff:203.0.113.9', port: 3478 },
      { address: 'fe80::0:1%eth0', port: 3478 },
    ]);
  });

  it('--ipv4 leaves IPv6 null, as the JSON schema says', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const host = vnet.createHost(vnet.internet, { ipv4: ['203.0.113.1', '203.0.113.2'] });
    const server = createStunServer({ primary: { address: '203.0.113.1', port: 3478 }, alternate: { address: '203.0.113.2' } }, { network: host.network, clock });
    await server.start();
    const client = vnet.createHost(vnet.createRouter(vnet.internet, { nat: natPresets.fullCone }));
    try {
      const report = await clock.runUntil(diagnose({ servers: ['203.0.113.1:3478', '[2001:db8::9]:3478'], families: [4] }, { network: client.network, clock }));
      expect(report.ipv6).toBeNull();
      expect(report.ipv4?.classic).toBe('full-cone');
    } finally {
      await server.close();
      await vnet.close();
    }
  });
});
