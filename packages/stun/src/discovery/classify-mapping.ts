import { isSameEndpoint, type Endpoint } from '@natkit/net';
import type { MappingBehavior } from './types.js';

/**
 * The mapped addresses seen from one local socket (RFC 5780 §4.3):
 * test I to the primary address, test II to the alternate IP with the primary port, test III to the
 * alternate IP and port. Null when that test got no answer.
 */
export interface MappingObservations {
  readonly test1: Endpoint | null;
  readonly test2: Endpoint | null;
  readonly test3: Endpoint | null;
}

export interface Classified<T> {
  readonly value: T;
  readonly reason: string;
}

/** RFC 5780 §4.3: EIM if II equals I; otherwise ADM if III equals II, else APDM. */
export function classifyMapping(o: MappingObservations): Classified<MappingBehavior> {
  if (o.test1 === null) return { value: 'unknown', reason: 'the primary address did not answer' };
  if (o.test2 === null) return { value: 'unknown', reason: 'the alternate address did not answer test II' };
  if (isSameEndpoint(o.test1, o.test2)) {
    if (o.test3 !== null && !isSameEndpoint(o.test1, o.test3)) {
      // Same mapping for another IP but not for another port: the mapping depends on the port.
      return { value: 'address-and-port-dependent', reason: 'the mapping changed with the destination port only' };
    }
    return { value: 'endpoint-independent', reason: 'the same mapping towards both server addresses' };
  }
  if (o.test3 === null) return { value: 'unknown', reason: 'mapping varies by address, but test III got no answer' };
  if (isSameEndpoint(o.test2, o.test3)) {
    return { value: 'address-dependent', reason: 'the mapping changes with the destination IP, not its port' };
  }
  return { value: 'address-and-port-dependent', reason: 'the mapping changes with the destination IP and port' };
}

/**
 * Mapping from ordinary (non-RFC 5780) servers: the mapped addresses one socket saw towards several
 * servers. Equal everywhere means endpoint-independent; a difference means the mapping depends on
 * the destination, but telling ADM from APDM needs two ports on one IP.
 */
export function classifyMappingFanOut(
  samples: readonly { readonly server: Endpoint; readonly mapped: Endpoint }[],
): Classified<MappingBehavior> & { readonly varies: boolean } {
  const first = samples[0];
  const ips = new Set(samples.map((s) => s.server.address));
  if (first === undefined || samples.length < 2 || ips.size < 2) {
    return { value: 'unknown', reason: 'fewer than two servers on different IPs answered', varies: false };
  }
  if (samples.every((s) => isSameEndpoint(s.mapped, first.mapped))) {
    return { value: 'endpoint-independent', reason: `the same mapping towards ${ips.size} server IPs`, varies: false };
  }
  const sameIpPairs = samples.flatMap((a, i) => samples.slice(i + 1).filter((b) => b.server.address === a.server.address).map((b) => [a, b] as const));
  for (const [a, b] of sameIpPairs) {
    if (!isSameEndpoint(a.mapped, b.mapped)) {
      return { value: 'address-and-port-dependent', reason: 'the mapping changed with the destination port', varies: true };
    }
  }
  if (sameIpPairs.length > 0) {
    return { value: 'address-dependent', reason: 'the mapping changes with the destination IP, not its port', varies: true };
  }
  return { value: 'unknown', reason: 'the mapping varies by destination; ADM or APDM needs an RFC 5780 server', varies: true };
}
