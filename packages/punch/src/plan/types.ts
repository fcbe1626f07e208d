import type { Endpoint, Family } from '@natkit/net';
import type { AllocationPattern, FilteringBehavior, MappingBehavior } from '@natkit/stun';

/**
 * What the punch planner needs to know of one side's NAT for one address family: the RFC 4787
 * behaviors the discovery code measured (`profileFromReport` builds one from a `FamilyReport`).
 */
export interface NatProfile {
  readonly family: Family;
  readonly mapping: MappingBehavior;
  readonly filtering: FilteringBehavior;
  readonly allocation: AllocationPattern;
  /** Step between consecutive allocations for 'sequential' (may be negative); null otherwise. */
  readonly delta: number | null;
  /** RFC 4787 §6; null when not tested. */
  readonly hairpinning: boolean | null;
}

/** Where a peer may be reached, as the rendezvous passes it. */
export interface Candidate {
  readonly type: 'host' | 'srflx' | 'relay';
  readonly address: string;
  readonly port: number;
  readonly family: Family;
  /**
   * The rendezvous saw this address itself (the peer's packets came from it). Port prediction and
   * birthday probes go only to a verified address.
   */
  readonly verified?: boolean;
}

/** One side as the planner sees it. */
export interface PeerDescription {
  /** One profile per family the side can use. */
  readonly profiles: readonly NatProfile[];
  readonly candidates: readonly Candidate[];
  /**
   * New mappings this side's NAT made since its server-reflexive candidate was measured (e.g. a
   * handshake sent to a new destination before the punch): a predictable allocator's next port is
   * `srflx + step * (allocationsSinceSrflx + 1)`, so the other side shifts its predictions by it.
   * Default 0.
   */
  readonly allocationsSinceSrflx?: number;
}

export type PunchStrategy = 'simultaneous-open' | 'port-prediction' | 'birthday' | 'same-nat' | 'relay';

/** Every bound of an attempt. The planner never exceeds them; the engine enforces them again. */
export interface PunchLimits {
  /** Extra sockets one side may open (birthday). */
  readonly maxSockets: number;
  /** Datagrams one side may send in one attempt, all kinds together. */
  readonly maxProbes: number;
  /** Average send rate over any second, datagrams per second. */
  readonly maxRatePps: number;
  /** Time from the fire time to giving up. */
  readonly maxDurationMs: number;
  /** Predicted ports tried around a sequential allocator's next port. */
  readonly predictionWindow: number;
  /** Success probability the birthday attempt is sized for (the probe count follows from it). */
  readonly birthdayTarget: number;
  /** Ports a random allocator draws from (RFC 6056 §3.2 suggests 1024-65535). */
  readonly portRange: readonly [number, number];
}

/** What one side sends: `targets` in order, from the primary socket or from every socket. */
export interface SendPlan {
  /** Extra sockets to open (besides the caller's). */
  readonly extraSockets: number;
  /** Destinations, in the order of the first round (the order matters on sequential NATs). */
  readonly targets: readonly Endpoint[];
  /** 'primary': every target from the caller's socket; 'every-socket': each socket sends to each target. */
  readonly from: 'primary' | 'every-socket';
  /** Pause between two sends. */
  readonly intervalMs: number;
  /** Times the target list is sent. */
  readonly rounds: number;
  /** Time from the start of one round to the start of the next (at least the round's length). */
  readonly roundIntervalMs: number;
}

/** The planner's verdict for one side of a pair. */
export interface PunchPlan {
  readonly strategy: PunchStrategy;
  /** Why this strategy (or why none): for logs, the CLI and telemetry. */
  readonly reason: string;
  /** The family to punch over; null with 'relay'. */
  readonly family: Family | null;
  /** Expected outcome: probability of a direct path (1 for the deterministic strategies, 0 for relay). */
  readonly successProbability: number;
  readonly send: SendPlan;
  /** Addresses the engine may send to: the peer's verified candidate addresses of `family` (and its host candidates when both sides share a NAT). */
  readonly allowedAddresses: readonly string[];
  /** The attempt gives up this long after the fire time. */
  readonly durationMs: number;
  readonly limits: PunchLimits;
  /**
   * What to run when this attempt ends without a direct path: the plan of the other address
   * family (IPv4 after a preferred IPv6 attempt). Both sides get mirror plans, so both move on
   * together (the same duration from the same fire time).
   */
  readonly fallback?: PunchPlan;
}
