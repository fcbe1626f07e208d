import type { Endpoint, Family } from '@natkit/net';

/** RFC 4787 §4.1 mapping behavior and §5 filtering behavior, plus 'unknown'. */
export type EndpointDependency = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
export type MappingBehavior = EndpointDependency | 'unknown';
export type FilteringBehavior = EndpointDependency | 'unknown';

/** How the NAT picks external ports (RFC 4787 §4.2). */
export type AllocationPattern = 'preserving' | 'sequential' | 'random' | 'unknown';

export interface PortAllocationReport {
  readonly pattern: AllocationPattern;
  /** For 'sequential': the step between consecutive allocations (may be negative); else null. */
  readonly delta: number | null;
  /** Every mapped port observed, in allocation (send) order. */
  readonly samples: readonly number[];
}

/** The classic RFC 3489 §5 names. */
export type ClassicNatType =
  | 'open-internet'
  | 'full-cone'
  | 'restricted-cone'
  | 'port-restricted-cone'
  | 'symmetric'
  | 'udp-firewall'
  | 'blocked'
  | 'unknown';

/** What the NAT means for peer-to-peer connectivity. */
export type OutlookVerdict = 'direct' | 'punchable' | 'hard' | 'relay-only' | 'unknown';

export interface Outlook {
  readonly verdict: OutlookVerdict;
  readonly reason: string;
}

/** The answers one STUN server gave during the diagnosis. */
export interface ServerInfo {
  readonly address: Endpoint;
  /** OTHER-ADDRESS (RFC 5780 §7.4); null when the server has none. */
  readonly otherAddress: Endpoint | null;
  /** The server answered CHANGE-REQUEST from the right address (RFC 5780 §7.2). Null: not tried. */
  readonly behaviorDiscovery: boolean | null;
  readonly rttMs: number | null;
  readonly software: string | null;
}

/** The diagnosis of one address family. */
export interface FamilyReport {
  readonly family: Family;
  /** A STUN server answered over UDP. */
  readonly udp: boolean;
  /**
   * Why UDP is false: 'no-route' (no local route to the servers), 'no-response' (every server
   * silent: UDP blocked or servers down), 'no-server' (every server's host answered ICMP port
   * unreachable: nothing listens there).
   */
  readonly udpFailure: 'no-route' | 'no-response' | 'no-server' | null;
  /** The mapped address differs from the local one. Null when unknown. */
  readonly natDetected: boolean | null;
  readonly localAddress: Endpoint | null;
  readonly mappedAddress: Endpoint | null;
  readonly mapping: MappingBehavior;
  readonly filtering: FilteringBehavior;
  /** Mapped port equals local port on every socket. Null when unknown. */
  readonly portPreservation: boolean | null;
  readonly portAllocation: PortAllocationReport;
  /** Null when not tested (opt-in) or inconclusive. */
  readonly hairpinning: boolean | null;
  /** Null when not tested (opt-in) or inconclusive. */
  readonly mappingLifetimeSeconds: number | null;
  /** External addresses seen across all probes; more than one hints at a carrier-grade NAT pool. */
  readonly externalAddresses: readonly string[];
  /** MAPPED-ADDRESS and XOR-MAPPED-ADDRESS differ: something rewrites addresses in payloads (RFC 5780 §3.6). */
  readonly algDetected: boolean;
  readonly carrierGradeNat: { readonly suspected: boolean; readonly reasons: readonly string[] };
  readonly classic: ClassicNatType;
  readonly outlook: Outlook;
  readonly servers: readonly ServerInfo[];
  /** Things the report could not decide and why, server disagreements, unsupported servers. */
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

export interface DiagnosisReport {
  readonly schemaVersion: 1;
  readonly durationMs: number;
  readonly ipv4: FamilyReport | null;
  readonly ipv6: FamilyReport | null;
  /** Problems outside the families' reports, such as a server name that did not resolve. */
  readonly warnings: readonly string[];
}

export type DiagnosisPhase = 'reachability' | 'mapping' | 'filtering' | 'allocation' | 'hairpinning' | 'lifetime';

export interface DiagnosisProgress {
  readonly family: Family;
  readonly phase: DiagnosisPhase;
  readonly state: 'start' | 'done';
  readonly detail?: string;
}
