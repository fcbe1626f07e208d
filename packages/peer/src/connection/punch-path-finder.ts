import { randomInt } from 'node:crypto';
import { familyOf, formatEndpoint, normalizeAddress, type Clock, type Endpoint, type Logger, type Network, type UdpSocket } from '@natkit/net';
import { boundIps } from './candidates.js';
import { createHmacAuthenticator, DEFAULT_SERIES_ATTEMPTS, planPunch, seriesDurationMs, seriesSuccessProbability, startPunchSeries, type Candidate, type PeerDescription, type PunchLimits, type PunchPlan, type PunchResult } from '@natkit/punch';
import type { Introduction, Candidate as WireCandidate, NatProfile, WireEndpoint } from '@natkit/rendezvous';
import type { DirectAttempt, DirectPathFinder } from './direct-path-finder.js';
import { punchProfiles } from './nat-measurement.js';

/** One side as the rendezvous knows it. */
export interface RendezvousSide {
  readonly observed: WireEndpoint;
  readonly nat: NatProfile;
  readonly candidates: readonly WireCandidate[];
  /** UDP addresses the rendezvous verified by an address token (protocol v2: a second family). */
  readonly verified?: readonly WireEndpoint[];
}

/**
 * The planner's view of one side: its profiles, and the candidates a probe may go to. A candidate
 * is `verified` when its IP is one the rendezvous saw that side come from (its WebSocket's source,
 * or a UDP address proved with an address token, see boundIps); an unverified one
 * is kept only when it is a host candidate and both sides came from the same public IP (same NAT),
 * so the punch engine's destination guard never lets a probe go to an address the rendezvous did
 * not bind to the peer.
 */
export function describeSide(side: RendezvousSide, other: WireEndpoint, allocationsSinceSrflx: number): PeerDescription {
  const sameSite = side.observed.address === other.address;
  const bound = boundIps(side);
  const candidates: Candidate[] = [];
  for (const c of side.candidates) {
    if (c.type !== 'host' && c.type !== 'srflx') continue;
    const verified = bound.has(normalizeAddress(c.address));
    if (!verified && !(sameSite && c.type === 'host')) continue;
    const family = familyOf(c.address);
    if (family === undefined) continue;
    candidates.push({ type: c.type, address: c.address, port: c.port, family, verified });
  }
  return { profiles: punchProfiles(side.nat), candidates, allocationsSinceSrflx };
}

/**
 * The plan for this pair. A profile the diagnosis could not tell still gets a cheap simultaneous
 * open before the relay; both sides plan with the same options, so their plans mirror each other.
 */
export function planDirectPath(local: PeerDescription, remote: PeerDescription, limits?: Partial<PunchLimits>): PunchPlan {
  return planPunch(local, remote, { whenUnknown: 'simultaneous-open', seed: randomInt(1, 2 ** 31), ...(limits === undefined ? {} : { limits }) });
}

/**
 * The plan of an introduced pair, seen from our side. On a sequential allocator the initiator's
 * handshake, sent from its socket to the responder's relayed address, took one more port after
 * its srflx was measured: both sides shift their view of the initiator by that one allocation.
 * `relays.peers`: the peer has a relay candidate we accept (see trustedRelayIps).
 * `ownShift`: allocations of our NAT since the base the peer got (samplePredictionShift); our
 * targets move by as many of the peer's steps, so that our ports meet its probes further on.
 */
export function planIntroduction(intro: Introduction, me: RendezvousSide, relays: { readonly mine: boolean; readonly peers: boolean }, limits?: Partial<PunchLimits>, ownShift = 0): PunchPlan {
  const initiator = intro.role === 'initiator';
  const usedPeerRelay = initiator ? relays.peers : relays.mine && intro.peer.candidates.some((c) => c.type === 'srflx');
  const offset = usedPeerRelay ? 1 : 0;
  const local = describeSide(me, intro.peer.observed, initiator ? offset : 0);
  const remote = describeSide(intro.peer, me.observed, (initiator ? 0 : offset) + ownShift);
  return planDirectPath(local, remote, limits);
}

export interface PunchFinderInput {
  readonly plan: PunchPlan;
  /**
   * Plans the pair again for a repeated attempt (a new seed: new probe ports); without it the
   * same plan is run again. A birthday attempt that times out is followed at once by another, up
   * to `maxAttempts` (default 2: P(direct) = 1 - (1 - p)², 0.9999 for the 0.99 plan); then the
   * connection's re-probe backoff takes over.
   */
  readonly replan?: () => PunchPlan;
  readonly maxAttempts?: number;
  /** Controlling: the side the rendezvous introduced as initiator (it nominates the pair). */
  readonly role: 'controlling' | 'controlled';
  /**
   * The peer's UDP sockets, one per family (the main one first): those whose server-reflexive
   * addresses the other side got; the plan's family picks one.
   */
  readonly socket: UdpSocket | readonly UdpSocket[];
  /** Opens the birthday plan's extra sockets. */
  readonly network: Network;
  /** A key only both ends of the Noise session have (Session.punchKey): authenticates every probe. */
  readonly key: Uint8Array;
  readonly logger: Logger;
  /** The punch won on a socket it opened: the connection now owns it (keeps it, closes it). */
  readonly adopt: (socket: UdpSocket) => void;
  /**
   * Asked before an attempt that opens extra sockets (birthday): returns the function that frees
   * the slot, or null when another such attempt runs (one at a time per peer: research note §5.5).
   */
  readonly admitExtraSockets?: () => (() => void) | null;
  /** Called when the attempt ends, whatever the outcome (it used up NAT ports). */
  readonly onAttemptEnd?: () => void;
}

/** The planner's reason, and for a repeated (birthday) plan what the attempts back to back give. */
function seriesReason(plan: PunchPlan, attempts: number): string {
  const p = plan.successProbability;
  if (!(p > 0 && p < 1) || attempts < 2) return plan.reason;
  return `${plan.reason}; a failed attempt is followed at once by another, up to ${attempts}: P(direct) = ${seriesSuccessProbability(p, attempts).toFixed(4)}`;
}

/** Session probes sent on the punched pair, to validate it as the connection's direct path. */
const VALIDATION_PROBES = 3;
const VALIDATION_INTERVAL_MS = 150;

/**
 * A DirectPathFinder that runs @natkit/punch's engine with the plan of this pair: simultaneous
 * open, port prediction, birthday paradox (a failed attempt followed at once by a second one,
 * see startPunchSeries) or same NAT; with 'relay' it sends nothing and logs why.
 * When the engine selects a pair, authenticated session probes go over it (from the extra socket
 * when the punch won there), and their answers make it the connection's direct path.
 */
export function punchFinder(input: PunchFinderInput): DirectPathFinder {
  const { plan, logger } = input;
  return {
    strategy: plan.strategy,
    reason: seriesReason(plan, input.maxAttempts ?? DEFAULT_SERIES_ATTEMPTS),
    // The preferred family's attempts, then the fallback family's (IPv4 after IPv6).
    maxDurationMs: seriesDurationMs(plan, input.maxAttempts) + (plan.fallback === undefined ? 0 : seriesDurationMs(plan.fallback, input.maxAttempts)),
    start(attempt, clock) {
      if (plan.strategy === 'relay') {
        logger.info('no direct path attempt: relay', { reason: plan.reason });
        return () => {};
      }
      const admit = input.admitExtraSockets;
      const extra = [plan, plan.fallback].some((p) => p !== undefined && p.send.extraSockets > 0);
      const release = extra && admit !== undefined ? admit() : () => {};
      if (release === null) {
        logger.info('no direct path attempt now: another birthday attempt of this peer is running', { strategy: plan.strategy });
        return () => {};
      }
      return startPunchStages(input, attempt, clock, release);
    },
  };
}

/**
 * One start() of a punchFinder (admitted; `release` frees its extra-sockets slot): the punch
 * series of the preferred family, then of its fallback's, and session probes over the pair one
 * selects. Returns the function that stops it.
 */
function startPunchStages(input: PunchFinderInput, attempt: DirectAttempt, clock: Clock, release: () => void): () => void {
  const { plan, logger } = input;
  const abort = new AbortController();
  // The plan of a stage: the preferred family's, or its fallback (IPv4 after IPv6). A repeated
  // (birthday) attempt plans the pair again, a new seed, and takes the same stage of it.
  const stageOf = (p: PunchPlan, fallback: boolean): PunchPlan => (fallback ? (p.fallback ?? plan.fallback ?? p) : p);
  const onAttemptEnd = (n: number, result: PunchResult): void => {
    if (!result.ok && result.reason === 'timeout' && n + 1 < (input.maxAttempts ?? DEFAULT_SERIES_ATTEMPTS)) logger.info('punch attempt failed, trying again at once', { strategy: result.strategy, attempt: n + 1 });
  };
  const run = (fallback: boolean, fireAt: number): void => {
    const current = stageOf(plan, fallback);
    logger.info('punching', { strategy: current.strategy, reason: current.reason, family: current.family ?? 0 });
    const series = startPunchSeries(
      {
        plan: (n) => (n === 0 ? current : stageOf(input.replan?.() ?? plan, fallback)),
        ...(input.maxAttempts === undefined ? {} : { maxAttempts: input.maxAttempts }),
        onAttemptEnd, socket: input.socket, fireAt, role: input.role, authenticator: createHmacAuthenticator(input.key), signal: abort.signal,
      },
      { network: input.network, clock, logger },
    );
    void series.result.then((result) => settle(current, fallback, result));
  };
  const settle = (current: PunchPlan, fallback: boolean, result: PunchResult & { readonly attempts: number }): void => {
    if (!result.ok) {
      logger.info('punch ended without a direct path', { strategy: result.strategy, family: current.family ?? 0, reason: result.reason, detail: result.detail, sent: result.stats.sent, attempts: result.attempts });
      // The other family's plan (IPv4 after IPv6): the peer's mirror plan moves on at the same time.
      if (!fallback && current.fallback !== undefined && !abort.signal.aborted && result.reason !== 'aborted') return run(true, clock.now());
      release();
      input.onAttemptEnd?.();
      return;
    }
    release();
    input.onAttemptEnd?.();
    if (abort.signal.aborted) {
      if (result.ownsSocket) void result.socket.close();
      return;
    }
    const own = result.ownsSocket ? result.socket : undefined;
    if (own !== undefined) input.adopt(own);
    logger.debug('punched', { strategy: result.strategy, remote: formatEndpoint(result.remote), elapsedMs: Math.round(result.elapsedMs), extraSocket: own !== undefined, attempt: result.attempts });
    validate(result.remote, own);
  };
  const validate = (to: Endpoint, socket: UdpSocket | undefined): void => {
    for (let i = 0; i < VALIDATION_PROBES; i++) {
      clock.setTimeout(() => {
        if (!abort.signal.aborted) attempt.sendProbe(to, socket);
      }, i * VALIDATION_INTERVAL_MS);
    }
  };
  run(false, attempt.fireAt);
  return () => abort.abort();
}
