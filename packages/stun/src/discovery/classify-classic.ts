import type { ClassicNatType, FilteringBehavior, MappingBehavior, Outlook, PortAllocationReport } from './types.js';

export interface ClassicInputs {
  readonly udp: boolean;
  readonly natDetected: boolean | null;
  readonly mapping: MappingBehavior;
  readonly filtering: FilteringBehavior;
  /** The mapping varies by destination even if its exact kind is unknown. */
  readonly mappingVaries?: boolean;
}

/**
 * The classic RFC 3489 §5 name for every (mapping, filtering) combination, RFC 4787 §3 mapped back:
 * endpoint-dependent mapping is "symmetric" whatever the filtering; with endpoint-independent
 * mapping the filtering picks full, restricted or port-restricted cone.
 */
export function classifyClassic(i: ClassicInputs): ClassicNatType {
  if (!i.udp) return 'blocked';
  if (i.natDetected === false) {
    if (i.filtering === 'endpoint-independent') return 'open-internet';
    if (i.filtering === 'unknown') return 'unknown';
    return 'udp-firewall';
  }
  if (i.mapping === 'address-dependent' || i.mapping === 'address-and-port-dependent' || i.mappingVaries === true) {
    return 'symmetric';
  }
  if (i.natDetected === null || i.mapping === 'unknown') return 'unknown';
  switch (i.filtering) {
    case 'endpoint-independent':
      return 'full-cone';
    case 'address-dependent':
      return 'restricted-cone';
    case 'address-and-port-dependent':
      return 'port-restricted-cone';
    default:
      return 'unknown';
  }
}

/** One line on what the verdict means for hole punching, with the reason. */
export function assessOutlook(
  classic: ClassicNatType,
  mapping: MappingBehavior,
  allocation: PortAllocationReport,
): Outlook {
  switch (classic) {
    case 'blocked':
      return { verdict: 'relay-only', reason: 'UDP does not get through: only a relay over TCP/TLS can connect you' };
    case 'open-internet':
      return { verdict: 'direct', reason: 'no NAT and no filtering: peers can reach you directly' };
    case 'full-cone':
      return { verdict: 'direct', reason: 'endpoint-independent mapping and filtering: peers reach your mapped address directly' };
    case 'udp-firewall':
      return { verdict: 'punchable', reason: 'no NAT, but a firewall filters inbound UDP: simultaneous sends open it' };
    case 'restricted-cone':
    case 'port-restricted-cone':
      return { verdict: 'punchable', reason: 'endpoint-independent mapping: hole punching works with most peers, but not with a symmetric NAT that allocates randomly' };
    case 'symmetric':
      if (allocation.pattern === 'sequential' && allocation.delta !== null) {
        return { verdict: 'hard', reason: `the mapping changes per destination, but ports step by ${allocation.delta}: punching needs port prediction; fails against another symmetric NAT` };
      }
      if (allocation.pattern === 'preserving') {
        return { verdict: 'hard', reason: 'the mapping changes per destination but keeps the local port: punching needs port prediction' };
      }
      return { verdict: 'hard', reason: `the mapping changes per destination${mapping === 'unknown' ? '' : ` (${mapping})`} with ${allocation.pattern} ports: only many-socket (birthday) punching against an endpoint-independent peer works; otherwise relay` };
    default:
      return { verdict: 'unknown', reason: 'the behavior could not be determined' };
  }
}
