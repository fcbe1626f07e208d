import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock, natPresets } from '@natkit/vnet';
import { createStunServer, diagnose } from '../../src/index.js';

describe('mapping lifetime needs a live server', () => {
  it('a path that goes quiet for a while mid-test gives no lifetime, not a short one', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock, seed: 11 });
    const serverHost = vnet.createHost(vnet.internet, { ipv4: ['203.0.113.1', '203.0.113.2'] });
    const server = createStunServer({ primary: { address: '203.0.113.1', port: 3478 }, alternate: { address: '203.0.113.2' } }, { network: serverHost.network, clock });
    await server.start();
    const router = vnet.createRouter(vnet.internet, { nat: { ...natPresets.portRestrictedCone, mappingLifetimeMs: 40_000 } });
    const client = vnet.createHost(router);
    // The path drops everything from 15 s to 25 s: the 20 s trial is silent, but so is the server.
    clock.setTimeout(() => (router.blocked = true), 15_000);
    clock.setTimeout(() => (router.blocked = false), 25_000);
    const report = await clock.runUntil(
      diagnose({ servers: ['203.0.113.1:3478'], families: [4], lifetime: { maxSeconds: 60 } }, { network: client.network, clock }),
      { maxMs: 300_000 },
    );
    expect(report.ipv4?.classic).toBe('port-restricted-cone');
    expect(report.ipv4?.mappingLifetimeSeconds).toBeNull();
    expect(report.ipv4?.warnings.join('\n')).toMatch(/lost contact/);
    await server.close();
    await vnet.close();
  });
});
