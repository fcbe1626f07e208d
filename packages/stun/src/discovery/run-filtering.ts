import type { Endpoint } from '@natkit/net';
import { changeRequest } from '../proto/index.js';
import type { FilteringObservations, ProbeOutcome } from './classify-filtering.js';
import { planPolicies, type DiscoveryPolicies } from './policies.js';
import type { BindingObservation, ProbeContext, ProbeResult } from './probe-context.js';

export interface FilteringRun {
  readonly observations: FilteringObservations;
  /** Test I on the filtering socket (a mapping sample), if answered. */
  readonly first: BindingObservation | null;
  /** The server answered a CHANGE-REQUEST from the right address: true; refused or ignored it: false. */
  readonly behaviorDiscovery: boolean | null;
}

function outcomeOf(r: ProbeResult): ProbeOutcome {
  return r.outcome === 'answered' ? 'answered' : r.outcome;
}

/**
 * RFC 5780 §4.4 on a fresh socket that contacts only the primary address: test II (change IP and
 * port) and test III (change port) side by side, each retransmitted at a constant interval; then,
 * if anything stayed silent, a plain request shows whether the server was still answering.
 */
export async function runFilteringTests(
  ctx: ProbeContext,
  primary: Endpoint,
  other: Endpoint,
  policies: DiscoveryPolicies,
): Promise<FilteringRun> {
  const probe = await ctx.open();
  const first = await ctx.binding(probe, primary, policies.positive);
  if (first.outcome !== 'answered') {
    return {
      observations: { changeIpAndPort: 'not-run', changePort: 'not-run', serverAlive: false },
      first: null,
      behaviorDiscovery: null,
    };
  }
  // An unambiguous RTT sample taken just now (sent once: Karn) beats the first contact's, which
  // may be an upper bound stretched by a retransmission on a lossy path.
  const sample = first.observation;
  const negative = sample.rttUpperBoundMs === sample.rttMs ? planPolicies(sample.rttMs).negative : policies.negative;
  const changeBoth = { address: other.address, port: other.port };
  const changePort = { address: primary.address, port: other.port };
  const [ii, iii] = await Promise.all([
    ctx.binding(probe, primary, negative, {
      attributes: [changeRequest({ changeIp: true, changePort: true })],
      expectFrom: changeBoth,
    }),
    ctx.binding(probe, primary, negative, {
      attributes: [changeRequest({ changeIp: false, changePort: true })],
      expectFrom: changePort,
    }),
  ]);
  const outcomes = [outcomeOf(ii), outcomeOf(iii)];
  let serverAlive = true;
  if (outcomes.includes('silent')) {
    serverAlive = (await ctx.binding(probe, primary, policies.positive)).outcome === 'answered';
  }
  const behaviorDiscovery = outcomes.includes('answered')
    ? true
    : outcomes.includes('wrong-source') || outcomes.includes('error')
      ? false
      : null;
  return {
    observations: { changeIpAndPort: outcomes[0] ?? 'not-run', changePort: outcomes[1] ?? 'not-run', serverAlive },
    first: first.observation,
    behaviorDiscovery,
  };
}
