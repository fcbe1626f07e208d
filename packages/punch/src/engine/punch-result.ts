import type { Endpoint, UdpSocket } from '@natkit/net';
import type { PunchStrategy } from '../plan/types.js';

/** Why an attempt ended without a direct path. */
export type PunchFailureReason =
  /** The planner found no strategy: use the relay (the plan's `reason` says why). */
  | 'no-strategy'
  /** Every scheduled probe went out and no authenticated answer selected a path in time. */
  | 'timeout'
  | 'aborted'
  /** No extra socket could be opened. */
  | 'bind-failed'
  /** The options do not fit the plan (the socket's family, a fire time that is not a number). */
  | 'bad-option';

export interface PunchSuccess {
  readonly ok: true;
  readonly strategy: PunchStrategy;
  /** The local half of the working 5-tuple. */
  readonly socket: UdpSocket;
  /** The peer's endpoint as seen from `socket`. */
  readonly remote: Endpoint;
  /** True when `socket` is one the engine opened (birthday): the caller now owns and closes it. */
  readonly ownsSocket: boolean;
  /** Time from the fire time to the selection. */
  readonly elapsedMs: number;
  readonly stats: PunchStats;
}

export interface PunchFailure {
  readonly ok: false;
  readonly strategy: PunchStrategy;
  readonly reason: PunchFailureReason;
  readonly detail: string;
  readonly stats: PunchStats;
}

export type PunchResult = PunchSuccess | PunchFailure;

export interface PunchStats {
  /** Datagrams sent, all kinds. */
  readonly sent: number;
  /** Authenticated punch datagrams received. */
  readonly received: number;
  /** Punch-looking datagrams dropped: bad tag, malformed, reflected, or from an address not bound to the peer. */
  readonly dropped: number;
  /** Pairs that answered (a probe of ours acked). */
  readonly confirmedPairs: number;
  /** Sockets open for the attempt besides the caller's. */
  readonly extraSockets: number;
}
