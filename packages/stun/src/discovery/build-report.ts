import { isSameEndpoint, type Endpoint, type Family } from '@natkit/net';
import { classifyMapping, classifyMappingFanOut } from './classify-mapping.js';
import { classifyFiltering } from './classify-filtering.js';
import { classifyPortAllocation, classifyPortPreservation, type AllocationSample } from './classify-allocation.js';
import { assessOutlook, classifyClassic } from './classify-classic.js';
import { detectCarrierGradeNat } from './detect-carrier-grade-nat.js';
import type { BindingObservation, ProbeResult } from './probe-context.js';
import type { FilteringRun } from './run-filtering.js';
import type { LifetimeResult } from './test-mapping-lifetime.js';
import type { FamilyReport, FilteringBehavior, MappingBehavior, ServerInfo } from './types.js';

/** Everything one family's tests observed. */
export interface Evidence {
  readonly family: Family;
  readonly localAddress: Endpoint;
  readonly servers: readonly Endpoint[];
  readonly primary: BindingObservation;
  readonly other: Endpoint | null;
  /** Test I from the main socket to every server, in server order (null: no answer in time). */
  readonly test1: readonly (ProbeResult | null)[];
  readonly mapping: { readonly test2: ProbeResult; readonly test3: ProbeResult } | null;
  readonly filtering: FilteringRun | null;
  readonly allocation: readonly (BindingObservation | null)[];
  readonly allocationLocalPorts: readonly number[];
  /** A CHANGE-REQUEST from the main socket was answered from the alternate address (null: no evidence). */
  readonly changeRequestHonored: boolean | null;
  hairpinning: boolean | null;
  lifetime: LifetimeResult | null;
  readonly warnings: string[];
}

const answered = (r: ProbeResult | null | undefined): BindingObservation | null =>
  r?.outcome === 'answered' ? r.observation : null;

/** A report for a family that could not reach any server. */
export function unreachableReport(
  family: Family,
  failure: 'no-route' | 'no-response' | 'no-server',
  servers: readonly Endpoint[],
  warnings: string[],
  durationMs: number,
): FamilyReport {
  const classic = failure === 'no-response' ? 'blocked' : 'unknown';
  const outlook =
    failure === 'no-server'
      ? { verdict: 'unknown' as const, reason: 'no STUN server listens at the address given (ICMP port unreachable): try another server' }
      : assessOutlook(classic, 'unknown', { pattern: 'unknown', delta: null, samples: [] });
  return {
    family,
    udp: false,
    udpFailure: failure,
    natDetected: null,
    localAddress: null,
    mappedAddress: null,
    mapping: 'unknown',
    filtering: 'unknown',
    portPreservation: null,
    portAllocation: { pattern: 'unknown', delta: null, samples: [] },
    hairpinning: null,
    mappingLifetimeSeconds: null,
    externalAddresses: [],
    algDetected: false,
    carrierGradeNat: { suspected: false, reasons: [] },
    classic,
    outlook,
    servers: servers.map((address) => ({ address, otherAddress: null, behaviorDiscovery: null, rttMs: null, software: null })),
    warnings,
    durationMs,
  };
}

function decideMapping(ev: Evidence, warnings: string[]): { value: MappingBehavior; varies: boolean } {
  const main = [...ev.test1.map(answered), answered(ev.mapping?.test2), answered(ev.mapping?.test3)];
  const fanOut = classifyMappingFanOut(
    main.flatMap((o) => (o?.mapped == null ? [] : [{ server: o.server, mapped: o.mapped }])),
  );
  if (ev.mapping === null) {
    if (fanOut.value === 'unknown') warnings.push(`mapping: ${fanOut.reason}`);
    return { value: fanOut.value, varies: fanOut.varies };
  }
  const rfc5780 = classifyMapping({
    test1: ev.primary.mapped,
    test2: answered(ev.mapping.test2)?.mapped ?? null,
    test3: answered(ev.mapping.test3)?.mapped ?? null,
  });
  if (rfc5780.value === 'unknown') warnings.push(`mapping: ${rfc5780.reason}`);
  if (rfc5780.value === 'endpoint-independent' && fanOut.varies) {
    warnings.push('servers disagree: the RFC 5780 tests saw one mapping, but other servers saw different ones; mapping left unknown');
    return { value: 'unknown', varies: true };
  }
  return { value: rfc5780.value, varies: fanOut.varies };
}

/**
 * RFC 5780 §4.4 filtering, unless the server was shown to stay silent on CHANGE-REQUEST: behind an
 * endpoint-independent mapping, an answer from the alternate address to the socket that has
 * contacted it passes any filter, so its silence means the server (not the NAT) is mute, and the
 * filtering tests' silence is no evidence either.
 */
function decideFiltering(ev: Evidence, mapping: MappingBehavior, warnings: string[]): FilteringBehavior {
  if (ev.filtering === null) return 'unknown';
  const result = classifyFiltering(ev.filtering.observations);
  const fromSilence = result.value === 'address-dependent' || result.value === 'address-and-port-dependent';
  const verifiedSilent = mapping === 'endpoint-independent' && ev.mapping?.test3.outcome === 'answered' && ev.changeRequestHonored === null;
  if (fromSilence && verifiedSilent) {
    warnings.push(
      'filtering: the server did not answer a CHANGE-REQUEST that an endpoint-independent mapping lets through, so the silence of the filtering tests is no evidence',
    );
    return 'unknown';
  }
  if (result.value === 'unknown') warnings.push(`filtering: ${result.reason}`);
  return result.value;
}

/**
 * The hairpin test's silence is evidence only where a hairpinned packet could pass: behind an
 * endpoint-dependent mapping each side's send opens a new mapping, so the other's packet meets a
 * mapping that has contacted only the server, and any filtering but endpoint-independent drops it.
 */
function decideHairpinning(
  observed: boolean | null,
  mapping: { readonly value: MappingBehavior; readonly varies: boolean },
  filtering: FilteringBehavior,
  warnings: string[],
): boolean | null {
  const endpointDependent = mapping.value === 'address-dependent' || mapping.value === 'address-and-port-dependent' || mapping.varies;
  if (observed === false && endpointDependent && filtering !== 'endpoint-independent') {
    warnings.push('hairpinning: inconclusive behind an endpoint-dependent mapping with filtering (a hairpinned packet would be filtered anyway)');
    return null;
  }
  return observed;
}

function allocationSamples(ev: Evidence): AllocationSample[] {
  const samples: AllocationSample[] = [];
  const push = (o: BindingObservation | null, localPort: number, first: boolean): void => {
    if (o?.mapped != null) samples.push({ localPort, mappedPort: o.mapped.port, order: o.order, firstOfSocket: first });
  };
  ev.test1.forEach((r, i) => push(answered(r), ev.localAddress.port, i === 0));
  push(answered(ev.mapping?.test2), ev.localAddress.port, false);
  push(answered(ev.mapping?.test3), ev.localAddress.port, false);
  if (ev.filtering?.first != null) {
    // The filtering socket's local port is not kept; its first mapping still orders the allocation.
    push(ev.filtering.first, -1, false);
  }
  ev.allocation.forEach((o, i) => push(o, ev.allocationLocalPorts[i] ?? -1, true));
  return samples;
}

export function buildFamilyReport(ev: Evidence, durationMs: number): FamilyReport {
  const warnings = [...ev.warnings];
  const mapped = ev.primary.mapped;
  const natDetected = mapped === null ? null : !isSameEndpoint(mapped, ev.localAddress);
  const mapping = decideMapping(ev, warnings);
  const filtering = decideFiltering(ev, mapping.value, warnings);
  const samples = allocationSamples(ev);
  const portAllocation = classifyPortAllocation(samples);
  const observations = [
    ...ev.test1.map(answered),
    answered(ev.mapping?.test2),
    answered(ev.mapping?.test3),
    ev.filtering?.first ?? null,
    ...ev.allocation,
  ].filter((o): o is BindingObservation => o !== null);
  const externalAddresses = [...new Set(observations.flatMap((o) => (o.mapped === null ? [] : [o.mapped.address])))];
  const algDetected = observations.some((o) => o.xorMapped !== null && o.plainMapped !== null && !isSameEndpoint(o.xorMapped, o.plainMapped));
  if (algDetected) warnings.push('MAPPED-ADDRESS and XOR-MAPPED-ADDRESS differ: an ALG rewrites addresses inside packets (RFC 5780 §3.6)');
  const classic = classifyClassic({ udp: true, natDetected, mapping: mapping.value, filtering, mappingVaries: mapping.varies });
  if (ev.lifetime?.warning != null) warnings.push(ev.lifetime.warning);
  ev.servers.forEach((s, i) => {
    if (ev.test1[i] === null || ev.test1[i]?.outcome === 'silent') warnings.push(`server ${s.address}:${s.port} did not answer`);
  });
  return {
    family: ev.family,
    udp: true,
    udpFailure: null,
    natDetected,
    localAddress: ev.localAddress,
    mappedAddress: mapped,
    mapping: mapping.value,
    filtering,
    portPreservation: classifyPortPreservation(samples),
    portAllocation,
    hairpinning: decideHairpinning(ev.hairpinning, mapping, filtering, warnings),
    mappingLifetimeSeconds: ev.lifetime?.seconds ?? null,
    externalAddresses,
    algDetected,
    carrierGradeNat: detectCarrierGradeNat({ localAddress: ev.localAddress, mappedAddress: mapped, externalAddresses }),
    classic,
    outlook: assessOutlook(classic, mapping.value, portAllocation),
    servers: serverInfos(ev),
    warnings,
    durationMs,
  };
}

function behaviorDiscovery(ev: Evidence): boolean | null {
  if (ev.other === null) return false;
  const f = ev.filtering?.behaviorDiscovery ?? null;
  if (f === false || ev.changeRequestHonored === false) return false;
  return f ?? ev.changeRequestHonored;
}

function serverInfos(ev: Evidence): ServerInfo[] {
  return ev.servers.map((address, i) => {
    const o = answered(ev.test1[i]);
    const isPrimary = o !== null && isSameEndpoint(o.server, ev.primary.server);
    return {
      address,
      otherAddress: o?.otherAddress ?? null,
      behaviorDiscovery: isPrimary ? behaviorDiscovery(ev) : null,
      rttMs: o === null ? null : Math.round(o.rttMs * 100) / 100,
      software: o?.software ?? null,
    };
  });
}
