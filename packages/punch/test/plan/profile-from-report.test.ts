/**
 * The planner's inputs are what discovery measures: `diagnose` (the real STUN client against the
 * real RFC 5780 server, over the virtual network) behind each of the 36 NATs of the matrix gives,
 * through `profileFromReport`, the profile the matrix tests plan with, so the proof's profiles
 * are not made up (the planner's choice is the same for the two).
 */
import { describe, expect, it } from 'vitest';
import { createStunServer, diagnose } from '@natkit/stun';
import { createPrng, createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { classifySide, profileFromReport } from '../../src/index.js';
import { ALL_NATS } from '../engine/behaviors.js';
import { profileOf } from '../engine/vnet-pair.js';

const PRIMARY = { address: '203.0.113.1', port: 3478 };
const ALTERNATE = { address: '203.0.113.2', port: 3479 };

describe('profileFromReport behind every NAT of the matrix', () => {
  it.each(ALL_NATS.map((n) => [n.name, n] as const))('%s', async (_name, { nat }) => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock, seed: 11 });
    try {
      const serverHost = vnet.createHost(vnet.internet, { ipv4: [PRIMARY.address, ALTERNATE.address], ipv6: false });
      const server = createStunServer({ primary: PRIMARY, alternate: ALTERNATE }, { network: serverHost.network, clock });
      await server.start();
      const client = vnet.createHost(vnet.createRouter(vnet.internet, { nat }), { ipv6: false });
      const prng = createPrng(5);
      const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => prng.int(256));
      const report = await clock.runUntil(diagnose({ servers: [PRIMARY], families: [4] }, { network: client.network, clock, random }));
      expect(report.ipv4).not.toBeNull();
      const measured = profileFromReport(report.ipv4!);
      const configured = profileOf(nat);
      expect(measured.mapping).toBe(configured.mapping);
      expect(measured.filtering).toBe(configured.filtering);
      expect(classifySide(measured)).toBe(classifySide(configured));
      if (configured.mapping !== 'endpoint-independent') {
        // An EDM NAT that preserves the first port hands the next destinations port + 1, + 2:
        // discovery sees that as sequential with step 1, which the planner treats the same way.
        const expected = configured.allocation === 'preserving' ? 'sequential' : configured.allocation;
        expect(measured.allocation).toBe(expected);
        expect(measured.delta ?? 1).toBe(configured.delta ?? 1);
      }
      await server.close();
    } finally {
      await vnet.close();
    }
  });
});
