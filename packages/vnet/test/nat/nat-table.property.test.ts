import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Endpoint } from '@natkit/net';
import { createPrng, isNatDrop, NatTable, type EndpointDependency, type PortAllocation } from '../../src/index.js';

const dependency = fc.constantFrom<EndpointDependency>('endpoint-independent', 'address-dependent', 'address-and-port-dependent');
const allocation = fc.constantFrom<PortAllocation>('preserve', 'sequential', 'random');
const source = fc.record({ address: fc.constantFrom('10.0.0.2', '10.0.0.3'), port: fc.integer({ min: 1000, max: 1003 }) });
const remote = fc.record({ address: fc.constantFrom('203.0.113.1', '203.0.113.2'), port: fc.integer({ min: 3478, max: 3480 }) });

const key = (e: Endpoint): string => `${e.address}:${e.port}`;
const bound = (m: EndpointDependency, r: Endpoint): string =>
  m === 'endpoint-independent' ? '' : m === 'address-dependent' ? r.address : key(r);

describe('NatTable properties', () => {
  it('one external endpoint per (source, mapping key); distinct mappings never share one; replies always pass', () => {
    fc.assert(
      fc.property(dependency, dependency, allocation, fc.integer(), fc.array(fc.tuple(source, remote), { maxLength: 40 }), (mapping, filtering, portAllocation, seed, flows) => {
        const t = new NatTable({ behavior: { mapping, filtering, portAllocation }, externalAddresses: ['198.51.100.1'], random: createPrng(seed) });
        const byMappingKey = new Map<string, string>();
        const owner = new Map<string, string>();
        for (const [src, dst] of flows) {
          const ext = t.translateOutbound(src, dst, 0);
          if (isNatDrop(ext)) throw new Error(`unexpected drop ${ext.drop}`);
          const mk = `${key(src)}|${bound(mapping, dst)}`;
          expect(byMappingKey.get(mk) ?? key(ext)).toBe(key(ext));
          byMappingKey.set(mk, key(ext));
          expect(owner.get(key(ext)) ?? mk).toBe(mk);
          owner.set(key(ext), mk);
          const back = t.translateInbound(dst, ext, 0);
          expect(isNatDrop(back) ? back.drop : key(back)).toBe(key(src));
        }
      }),
    );
  });
});
