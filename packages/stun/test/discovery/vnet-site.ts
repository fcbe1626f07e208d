/**
 * A virtual site for discovery tests: an RFC 5780 server on 203.0.113.1/.2 and a client behind a
 * NAT (or any router), all under one manual clock and one seed.
 */
import { expect } from 'vitest';
import {
  createPrng,
  createVirtualNetwork,
  ManualClock,
  type EndpointDependency,
  type LinkOptions,
  type NatOptions,
  type Router,
  type VirtualHost,
  type VirtualNetwork,
} from '@natkit/vnet';
import { createStunServer, diagnose, type DiagnoseOptions, type FamilyReport } from '../../src/index.js';

export const PRIMARY = { address: '203.0.113.1', port: 3478 };
export const ALTERNATE = { address: '203.0.113.2', port: 3479 };
export const EIM: EndpointDependency = 'endpoint-independent';
export const ADM: EndpointDependency = 'address-dependent';
export const APDM: EndpointDependency = 'address-and-port-dependent';

export interface Site {
  readonly clock: ManualClock;
  readonly vnet: VirtualNetwork;
  readonly client: VirtualHost;
  /** Runs `diagnose` (IPv4, hairpin on) from the client under the manual clock. */
  diagnose(extra?: Partial<DiagnoseOptions>): Promise<{ report: FamilyReport; virtualMs: number }>;
  close(): Promise<void>;
}

/** An RFC 5780 server on 203.0.113.1/.2 and a client behind `below(vnet)` (default: a NAT with `nat`). */
export async function createSite(options: {
  seed?: number;
  nat?: NatOptions;
  link?: LinkOptions;
  below?: (vnet: VirtualNetwork) => Router;
}): Promise<Site> {
  const seed = options.seed ?? 1;
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed });
  const serverHost = vnet.createHost(vnet.internet, { ipv4: [PRIMARY.address, ALTERNATE.address], ipv6: false });
  const server = createStunServer({ primary: PRIMARY, alternate: ALTERNATE }, { network: serverHost.network, clock });
  await server.start();
  const router =
    options.below?.(vnet) ??
    vnet.createRouter(vnet.internet, { nat: options.nat ?? {}, ...(options.link === undefined ? {} : { link: options.link }) });
  const client = vnet.createHost(router, { ipv6: false });
  const prng = createPrng(seed ^ 0x5eed);
  const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => prng.int(256));
  return {
    clock,
    vnet,
    client,
    async diagnose(extra = {}) {
      const before = clock.now();
      const report = await clock.runUntil(
        diagnose({ servers: [PRIMARY], families: [4], hairpin: true, ...extra }, { network: client.network, clock, random }),
        { maxMs: 3_600_000 },
      );
      expect(report.ipv4, 'an IPv4 report').not.toBeNull();
      return { report: report.ipv4!, virtualMs: clock.now() - before };
    },
    async close() {
      await server.close();
      await vnet.close();
    },
  };
}
