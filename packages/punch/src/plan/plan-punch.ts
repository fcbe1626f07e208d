import type { Endpoint, Family } from '@natkit/net';
import { normalizeAddress } from '@natkit/net';
import { birthdayProbesFor, birthdaySuccessProbability } from './birthday.js';
import { admitsUnknownPort, allocationStep, classifySide, type SideKind } from './classify-side.js';
import { resolveLimits } from './limits.js';
import {
  ANSWER_RESERVE,
  BIRTHDAY_GRACE_MS,
  BIRTHDAY_PROBE_RATE_PPS,
  birthdayProbeSends,
  birthdaySocketSends,
  EXACT_DURATION_MS,
  exactSends,
  NO_SENDS,
  predictedTargets,
} from './send-plans.js';
import type { Candidate, NatProfile, PeerDescription, PunchLimits, PunchPlan, SendPlan } from './types.js';

export interface PlanPunchOptions {
  readonly limits?: Partial<PunchLimits>;
  /** Seed of the birthday prober's port choice (pass a random one; the planner stays pure). */
  readonly seed?: number;
  /**
   * What to do when a profile is unknown (the diagnosis could not tell the mapping): 'relay'
   * (default) or 'simultaneous-open', a cheap try of both public addresses before the relay.
   * Both sides must pass the same value (their plans mirror each other).
   */
  readonly whenUnknown?: 'relay' | 'simultaneous-open';
}

interface Side {
  readonly profile: NatProfile;
  readonly kind: SideKind;
  readonly srflx: Candidate;
  readonly candidates: readonly Candidate[];
  /** Allocations on this side's NAT since its srflx was measured (see PeerDescription). */
  readonly offset: number;
}

/**
 * Chooses how to punch between `local` and `remote` (research note §2.2, §5.5), from both NAT
 * profiles and the candidates the rendezvous passed, and returns what the local side does. Pure:
 * both peers compute mirror images of the same plan from the same inputs.
 *
 * - IPv6 is preferred when both sides have it and it can punch, with the IPv4 plan as its `fallback`
 *   (IPv4 alone when IPv6 cannot: e.g. the peer's IPv6 address is not verified); same public
 *   address: host candidates/hairpinning.
 * - simultaneous open when both map endpoint-independently, or when the EIM side's filter admits
 *   a port it has not sent to (EIF/ADF: the other side's packet opens the way);
 * - port prediction towards a preserving/sequential allocator (a window of `step * j` guesses),
 *   both ways when both are predictable;
 * - birthday paradox: an EIM side with port-dependent filtering against a random allocator;
 * - relay at once otherwise, saying why.
 */
export function planPunch(local: PeerDescription, remote: PeerDescription, options: PlanPunchOptions = {}): PunchPlan {
  const limits = resolveLimits(options.limits);
  const shared = FAMILY_PREFERENCE.filter((f) => side(local, f) !== undefined && side(remote, f) !== undefined);
  if (shared.length === 0) return relay('no address family with a server-reflexive candidate on both sides', limits);
  // With two families, one counts only when both sides' addresses of it are verified: each side
  // sees the same facts, so their plans still mirror each other.
  const bound = shared.filter((f) => side(local, f)?.srflx.verified === true && side(remote, f)?.srflx.verified === true);
  const families = shared.length > 1 && bound.length > 0 ? bound : shared;
  const plans = families.map((f) => planFamily(local, remote, f, options, limits));
  const direct = plans.filter((p) => p.strategy !== 'relay');
  const [first, second] = direct;
  if (first === undefined) return plans.length === 1 ? plans[0]! : relay(plans.map((p, i) => `IPv${families[i]!}: ${p.reason}`).join('; '), limits);
  if (second === undefined) return first;
  // Both families can punch: IPv6 first (usually no NAT, a stateful firewall at most), cut short
  // when it is an exact strategy, then IPv4 as its fallback (the relay carries data meanwhile).
  const preferred = first.send.extraSockets === 0 && first.durationMs > PREFERRED_FAMILY_MS ? planFamily(local, remote, first.family!, options, { ...limits, maxDurationMs: PREFERRED_FAMILY_MS }) : first;
  return { ...preferred, limits, fallback: second };
}

/** IPv6 is tried first when both sides have a verified address of each family. */
const FAMILY_PREFERENCE = [6, 4] as const;
/** How long an exact attempt over the preferred family runs before the fallback family's (ms). */
export const PREFERRED_FAMILY_MS = 2_000;

function planFamily(local: PeerDescription, remote: PeerDescription, family: Family, options: PlanPunchOptions, limits: PunchLimits): PunchPlan {
  const me = side(local, family);
  const peer = side(remote, family);
  const tryUnknown = options.whenUnknown === 'simultaneous-open';
  if (me === undefined || peer === undefined) return relay('no usable candidates', limits);
  // The engine sends only to addresses the rendezvous verified for the peer (host candidates are
  // added in the same-NAT case): an unverified candidate is the peer's claim and may be a victim's.
  if (peer.srflx.verified !== true) return relay('the peer has no server-reflexive address verified by the rendezvous', limits);
  const base = { family, allowedAddresses: addressesOf(peer.candidates.filter((c) => c.verified === true)), limits } as const;
  if (normalizeAddress(me.srflx.address) === normalizeAddress(peer.srflx.address) && family === 4) {
    return planSameNat(me, peer, base);
  }
  const verified = peer.srflx.address;
  const exact = (targets: readonly Endpoint[], strategy: 'simultaneous-open' | 'port-prediction', reason: string): PunchPlan => ({
    ...base,
    strategy,
    reason,
    successProbability: 1,
    send: exactSends(targets, Math.min(EXACT_DURATION_MS, limits.maxDurationMs), limits),
    durationMs: Math.min(EXACT_DURATION_MS, limits.maxDurationMs),
  });
  const predicted = (): Endpoint[] =>
    predictedTargets(verified, peer.srflx.port + allocationStep(peer.profile) * peer.offset, allocationStep(peer.profile), limits.predictionWindow, limits.portRange);
  const unknownTry = (): PunchPlan =>
    exact([peer.srflx], 'simultaneous-open', `a NAT profile is unknown (mapping ${me.profile.mapping} here, ${peer.profile.mapping} there): trying simultaneous open, cheap, before settling on the relay`);

  if (me.kind === 'eim' && peer.kind === 'eim') {
    return exact([peer.srflx], 'simultaneous-open', 'both NATs map endpoint-independently: both send to the other\'s public address');
  }
  if (me.kind === 'eim' || peer.kind === 'eim') {
    const eim = me.kind === 'eim' ? me : peer;
    const other = me.kind === 'eim' ? peer : me;
    if (admitsUnknownPort(eim.profile)) {
      return exact([peer.srflx], 'simultaneous-open', `the EIM side filters ${eim.profile.filtering}: the other side's packet gets in and is answered`);
    }
    if (other.kind === 'predictable') {
      const targets = me === eim ? predicted() : [peer.srflx];
      return exact(targets, 'port-prediction', `EIM with ${eim.profile.filtering} filtering against a ${other.profile.allocation} allocator (step ${allocationStep(other.profile)}): the EIM side tries ${limits.predictionWindow} predicted ports`);
    }
    if (other.kind === 'random') return planBirthday(me === eim, eim, other, options.seed ?? 1, base);
    if (tryUnknown) return unknownTry();
    return relay(`the endpoint-dependent side's port allocation is unknown`, limits);
  }
  if (me.kind === 'predictable' && peer.kind === 'predictable') {
    return exact(predicted(), 'port-prediction', `both NATs allocate predictably (steps ${allocationStep(me.profile)} and ${allocationStep(peer.profile)}): both try ${limits.predictionWindow} predicted ports in the same order`);
  }
  if (tryUnknown && (me.kind === 'unknown' || peer.kind === 'unknown')) return unknownTry();
  return relay(noStrategyReason(me, peer, limits), limits);
}

function planBirthday(iAmEim: boolean, eim: Side, random: Side, seed: number, base: Pick<PunchPlan, 'family' | 'allowedAddresses' | 'limits'>): PunchPlan {
  const limits = base.limits;
  const [lo, hi] = limits.portRange;
  const space = hi - lo + 1;
  const sockets = Math.min(limits.maxSockets, 256);
  if (sockets < 1) return relay('birthday punching needs sockets and maxSockets is 0', limits);
  const rate = Math.min(BIRTHDAY_PROBE_RATE_PPS, limits.maxRatePps);
  const byTime = Math.floor(((limits.maxDurationMs - BIRTHDAY_GRACE_MS) * rate) / 1000);
  // The caller's socket sends with the extra ones: sockets + 1 mappings.
  const wanted = birthdayProbesFor(sockets + 1, limits.birthdayTarget, space);
  const probes = Math.max(0, Math.min(wanted, byTime, limits.maxProbes - ANSWER_RESERVE));
  const p = birthdaySuccessProbability(sockets + 1, probes, space);
  if (probes === 0) return relay('the limits leave no time or budget for birthday probes', limits);
  const durationMs = Math.min(limits.maxDurationMs, Math.ceil((probes * 1000) / rate) + BIRTHDAY_GRACE_MS);
  const send: SendPlan = iAmEim
    ? birthdayProbeSends(random.srflx.address, probes, seed, limits)
    : birthdaySocketSends(eim.srflx, sockets, durationMs, limits);
  return {
    ...base,
    strategy: 'birthday',
    reason: `EIM with ${eim.profile.filtering} filtering against a random allocator: ${sockets} + 1 sockets x ${probes} probes over ${space} ports, P(direct) = ${p.toFixed(4)}`,
    successProbability: p,
    send,
    durationMs,
  };
}

function planSameNat(me: Side, peer: Side, base: Pick<PunchPlan, 'family' | 'allowedAddresses' | 'limits'>): PunchPlan {
  const hosts = peer.candidates.filter((c) => c.type === 'host');
  const hairpin = me.profile.hairpinning === true || peer.profile.hairpinning === true;
  const targets: Endpoint[] = [...hosts];
  if (hairpin && me.kind === 'eim' && peer.kind === 'eim') targets.push(peer.srflx);
  if (targets.length === 0) return relay('same public address, no host candidate and no hairpinning', base.limits);
  return {
    ...base,
    allowedAddresses: addressesOf([...peer.candidates.filter((c) => c.verified === true), ...hosts]),
    strategy: 'same-nat',
    reason: `same public address ${me.srflx.address}: ${hosts.length} host candidate(s)${targets.length > hosts.length ? ' and hairpinning' : ''}`,
    successProbability: 1,
    send: exactSends(targets, EXACT_DURATION_MS, base.limits),
    durationMs: Math.min(EXACT_DURATION_MS, base.limits.maxDurationMs),
  };
}

function noStrategyReason(me: Side, peer: Side, limits: PunchLimits): string {
  const kinds = [me.kind, peer.kind];
  if (kinds.includes('unknown')) return 'a NAT profile is unknown and no strategy is sure to work: relay';
  if (me.kind === 'random' && peer.kind === 'random') {
    const space = limits.portRange[1] - limits.portRange[0] + 1;
    return `both NATs map endpoint-dependently with random ports: every probe must match an exact port pair among ${space}x${space}; relay`;
  }
  return 'endpoint-dependent mapping on both sides with a random allocator on one: its port cannot be predicted and the other side cannot be found by the birthday paradox; relay';
}

function addressesOf(candidates: readonly Candidate[]): string[] {
  return [...new Set(candidates.map((c) => normalizeAddress(c.address)))];
}

function relay(reason: string, limits: PunchLimits): PunchPlan {
  return { strategy: 'relay', reason, family: null, successProbability: 0, send: NO_SENDS, allowedAddresses: [], durationMs: 0, limits };
}

function side(peer: PeerDescription, family: Family): Side | undefined {
  const profile = peer.profiles.find((p) => p.family === family);
  const candidates = peer.candidates.filter((c) => c.family === family && c.type !== 'relay');
  const srflx = candidates.find((c) => c.type === 'srflx' && c.verified === true) ?? candidates.find((c) => c.type === 'srflx');
  if (profile === undefined || srflx === undefined) return undefined;
  const offset = peer.allocationsSinceSrflx ?? 0;
  return { profile, kind: classifySide(profile), srflx, candidates, offset: Number.isInteger(offset) && offset >= 0 && offset <= 64 ? offset : 0 };
}
