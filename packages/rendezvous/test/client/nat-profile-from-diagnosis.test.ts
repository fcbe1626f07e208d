import { createNodeNetwork, systemClock } from '@natkit/net';
import { diagnose, startStunServer } from '@natkit/stun';
import { describe, expect, it } from 'vitest';
import { NatProfileSchema, natProfileFromDiagnosis } from '../../src/index.js';
import * as v from 'valibot';

describe('natProfileFromDiagnosis', () => {
  it('turns a real diagnosis (natkit STUN server on loopback) into a profile the schema accepts', async () => {
    const network = createNodeNetwork();
    const server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { port: 0 } }, { network });
    try {
      const [address] = server.addresses();
      const report = await diagnose({ servers: [`127.0.0.1:${address!.port}`], families: [4], timeoutMs: 5_000 }, { network, clock: systemClock });
      const profile = natProfileFromDiagnosis(report);
      expect(v.safeParse(NatProfileSchema, profile).success).toBe(true);
      expect(profile.ipv6).toBeNull();
      expect(profile.ipv4).toMatchObject({ udp: true, mapping: report.ipv4!.mapping, filtering: report.ipv4!.filtering, allocation: { pattern: report.ipv4!.portAllocation.pattern } });
    } finally {
      await server.close();
    }
  });
});
