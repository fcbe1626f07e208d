import { describe, expect, it } from 'vitest';
import { checkRelay } from '../../src/index.js';
import { vnetRelaySite } from './vnet-relay-site.js';

/*
 * checkRelay over the virtual network against natkit's TURN server alone, which answers no
 * Binding request (in natkit serve the STUN server does): the probe socket falls back to the
 * allocation's mapped IP for its permission, and the echo still goes through the relay both ways.
 */
describe('checkRelay on the virtual network', () => {
  it('relays to itself without a Binding answer, with a virtual-time RTT, and deletes the allocation', async () => {
    const s = await vnetRelaySite();
    const report = await s.clock.runUntil(
      checkRelay({ server: s.serverAddress, credentials: { username: 'alice', password: 'alice-pw' }, probeSupport: false }, { network: s.clientNetwork, clock: s.clock }),
    );
    expect(report).toMatchObject({ ok: true, echoes: { sent: 5, received: 5 }, dataPath: 'channel-data', error: null });
    expect(report.rttMs).toBeGreaterThanOrEqual(0);
    expect(report.relayedAddress).toMatch(/^203\.0\.113\.\d+:50\d\d\d$/);
    expect(s.server.stats().allocations).toBe(0);
  });

  it('says wrong credentials without touching the network further', async () => {
    const s = await vnetRelaySite();
    const report = await s.clock.runUntil(
      checkRelay({ server: s.serverAddress, credentials: { username: 'alice', password: 'nope' } }, { network: s.clientNetwork, clock: s.clock }),
    );
    expect(report).toMatchObject({ ok: false, rttMs: null, relayedAddress: null, error: { code: 'ERR_TURN_AUTH' } });
  });
});
