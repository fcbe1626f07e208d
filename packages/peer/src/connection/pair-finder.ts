import type { Endpoint, Logger, Network, UdpSocket } from '@natkit/net';
import type { PunchPlan } from '@natkit/punch';
import type { Introduction } from '@natkit/rendezvous';
import type { Session } from '../session/session.js';
import type { DirectPathFinder } from './direct-path-finder.js';
import type { PeerOptions } from './peer-options.js';
import { deferredFinder, type PredictionShift } from './prediction-shift.js';
import { planIntroduction, punchFinder, type RendezvousSide } from './punch-path-finder.js';

/** One introduced pair's connection. */
export interface PairFinderInput {
  readonly intro: Introduction;
  readonly session: Session;
  /** The direct targets of the pair (none: no fixed finder). */
  readonly targets: readonly Endpoint[];
  readonly logger: Logger;
  /** How far our allocations moved since the base the peer got (PredictionBase.sampleShift), when sampled. */
  readonly shift: Promise<PredictionShift | null> | undefined;
}

export interface PairFinderDeps {
  readonly options: Pick<PeerOptions, 'directPath' | 'finder' | 'punchLimits'>;
  readonly udpWorks: boolean;
  /** Our side as the rendezvous knows it. */
  readonly me: RendezvousSide;
  /** Whether we, and the peer, have a relay: read at each plan (a repeated attempt plans again). */
  readonly relays: () => { readonly mine: boolean; readonly peers: boolean };
  /** Our UDP sockets, one per family (the main one first). */
  readonly sockets: () => UdpSocket | readonly UdpSocket[];
  readonly network: Network;
  /** See PunchFinderInput. */
  readonly adopt: (socket: UdpSocket) => void;
  readonly admitExtraSockets: () => (() => void) | null;
  readonly onAttemptEnd: () => void;
}

/** A connection's direct-path strategy: the caller's fixed one, or the punch plan of this pair. */
export function pairFinder(pair: PairFinderInput, deps: PairFinderDeps): DirectPathFinder | null {
  const { intro, session, logger } = pair;
  if (deps.options.directPath === false || !deps.udpWorks) return null;
  if (deps.options.finder !== undefined) return pair.targets.length === 0 ? null : deps.options.finder;
  const plan = (ownShift: number) => (): PunchPlan => planIntroduction(intro, deps.me, deps.relays(), deps.options.punchLimits, ownShift);
  const finder = (ownShift: number): DirectPathFinder => pairPunchFinder(plan(ownShift), intro, session, logger, deps);
  const provisional = finder(0);
  logger.info('direct path plan', { strategy: provisional.strategy, reason: provisional.reason });
  if (pair.shift === undefined || provisional.strategy !== 'port-prediction') return provisional;
  return deferredFinder(provisional, pair.shift.then((s) => {
    logger.debug('prediction shift', { shift: s?.shift ?? 'unknown' });
    return s === null || s.shift === 0 ? provisional : finder(s.shift);
  }));
}

/** `plan` plans the pair (a new seed each call): once for the first attempt, again for a repeated one. */
function pairPunchFinder(plan: () => PunchPlan, intro: Introduction, session: Session, logger: Logger, deps: PairFinderDeps): DirectPathFinder {
  return punchFinder({
    plan: plan(), replan: plan, role: intro.role === 'initiator' ? 'controlling' : 'controlled', socket: deps.sockets(), network: deps.network,
    key: session.punchKey, logger, adopt: deps.adopt, admitExtraSockets: deps.admitExtraSockets, onAttemptEnd: deps.onAttemptEnd,
  });
}
