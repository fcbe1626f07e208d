import type { EndpointDependency, NatOptions } from '@natkit/vnet';

/** Every RFC 4787 NAT the proof covers: mapping x filtering x allocation (preserve, step 1, step 256, random). */
export interface NamedNat {
  readonly name: string;
  readonly nat: NatOptions;
}

const DEPENDENCIES: readonly [EndpointDependency, string][] = [
  ['endpoint-independent', 'EI'],
  ['address-dependent', 'AD'],
  ['address-and-port-dependent', 'APD'],
];
const ALLOCATIONS: readonly [Partial<NatOptions>, string][] = [
  [{ portAllocation: 'preserve' }, 'preserve'],
  [{ portAllocation: 'sequential', delta: 1 }, 'seq1'],
  [{ portAllocation: 'sequential', delta: 256 }, 'seq256'],
  [{ portAllocation: 'random' }, 'random'],
];

export const ALL_NATS: readonly NamedNat[] = DEPENDENCIES.flatMap(([mapping, m]) =>
  DEPENDENCIES.flatMap(([filtering, f]) =>
    ALLOCATIONS.map(([allocation, a]) => ({ name: `${m}M/${f}F/${a}`, nat: { mapping, filtering, ...allocation } })),
  ),
);
