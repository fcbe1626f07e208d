/**
 * `ManualClock.runUntil` with a diagnosis (issue 10, item 6): its default limit covers a default
 * mapping-lifetime run, and when it gives up with an AbortController it lets the diagnosis close
 * every socket before rejecting.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/index.js';
import { createSite, PRIMARY } from './vnet-site.js';

describe('runUntil and long diagnoses', () => {
  it('the default limit covers a default lifetime run (up to 300 s of virtual time)', async () => {
    const site = await createSite({ nat: { mappingLifetimeMs: 40_000 } });
    try {
      const report = await site.clock.runUntil(
        diagnose({ servers: [PRIMARY], families: [4], lifetime: true, allocationSockets: 0 }, { network: site.client.network, clock: site.clock }),
      );
      expect(report.ipv4?.mappingLifetimeSeconds).toBeGreaterThanOrEqual(36);
      expect(report.ipv4?.mappingLifetimeSeconds).toBeLessThanOrEqual(40);
    } finally {
      await site.close();
    }
  });

  it('giving up aborts the diagnosis through the controller and leaves no probe socket open', async () => {
    const site = await createSite({ nat: { mappingLifetimeMs: 40_000 } });
    const abort = new AbortController();
    try {
      const run = diagnose(
        { servers: [PRIMARY], families: [4], lifetime: true, allocationSockets: 0, signal: abort.signal },
        { network: site.client.network, clock: site.clock },
      );
      await expect(site.clock.runUntil(run, { maxMs: 5_000, abort })).rejects.toMatchObject({ code: 'ERR_CLOCK_LIMIT' });
      await expect(run).rejects.toMatchObject({ code: 'ERR_CLOCK_LIMIT' });
      expect(site.client.openSockets).toBe(0);
    } finally {
      await site.close();
    }
  });
});
