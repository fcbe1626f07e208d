import { formatEndpoint, type Endpoint } from '@natkit/net';
import { changeRequest } from '../proto/index.js';
import type { DiscoveryPolicies } from './policies.js';
import type { BindingObservation, ProbeContext, ProbeResult, ProbeSocket } from './probe-context.js';
import { runFilteringTests, type FilteringRun } from './run-filtering.js';
import { testHairpinning } from './test-hairpinning.js';
import type { DiagnosisProgress } from './types.js';

type Policy = Parameters<ProbeContext['binding']>[2];
/** Reports a phase of the diagnosis starting or done. */
export type Progress = (phase: DiagnosisProgress['phase'], state: DiagnosisProgress['state'], detail?: string) => void;

export interface BehaviorResults {
  readonly mapping: { readonly test2: ProbeResult; readonly test3: ProbeResult } | null;
  readonly filtering: FilteringRun | null;
  readonly allocation: readonly { readonly probe: ProbeSocket; readonly observation: BindingObservation | null }[];
  readonly changeRequestHonored: boolean | null;
  readonly hairpinning: boolean | null;
}

/**
 * The behavior tests, side by side once test I has answered: mapping (RFC 5780 §4.3) on the main
 * socket, filtering (§4.4) on a fresh one, allocation samples on more fresh ones, the
 * CHANGE-REQUEST check and (opt-in) hairpinning.
 */
export async function runBehaviorTests(
  ctx: ProbeContext,
  main: ProbeSocket,
  primary: BindingObservation,
  other: Endpoint | null,
  policies: DiscoveryPolicies,
  options: { readonly hairpin: boolean; readonly allocationSockets: number },
  progress: Progress,
): Promise<BehaviorResults> {
  const mappingP = other === null ? Promise.resolve(null) : runMappingTests(ctx, main, primary, other, policies.positive);
  // Once the main socket has contacted the alternate address, an answer from there passes an
  // endpoint-independent NAT's filter whatever its filtering: proof that the server honors
  // CHANGE-REQUEST, so the filtering test's silence cannot be the server's fault.
  const verifyP = mappingP.then((m) =>
    other === null || m?.test3.outcome !== 'answered' ? null : verifyChangeRequest(ctx, main, primary.server, other, policies.negative),
  );
  const filteringP: Promise<FilteringRun | null> =
    other === null ? Promise.resolve(null) : runFilteringTests(ctx, primary.server, other, policies);
  const allocationP = runAllocationProbes(ctx, primary.server, options.allocationSockets, policies.positive);
  // The hairpin test needs only mapped addresses: it waits out its silence alongside the
  // filtering tests' rather than after them. It starts once the mappings that sample the port
  // allocation exist, so that its own new mappings (behind an endpoint-dependent NAT) come last.
  const hairpinP = options.hairpin
    ? Promise.all([mappingP, allocationP]).then(([, a]) => runHairpin(ctx, main, primary, a, policies.negative, progress))
    : Promise.resolve(null);
  const [mapping, filtering, allocation, changeRequestHonored, hairpinning] = await Promise.all([
    mappingP,
    filteringP,
    allocationP,
    verifyP,
    hairpinP,
  ]);
  return { mapping, filtering, allocation, changeRequestHonored, hairpinning };
}

async function runMappingTests(
  ctx: ProbeContext,
  main: ProbeSocket,
  primary: BindingObservation,
  other: Endpoint,
  policy: Policy,
): Promise<{ test2: ProbeResult; test3: ProbeResult }> {
  const [test2, test3] = await Promise.all([
    ctx.binding(main, { address: other.address, port: primary.server.port }, policy),
    ctx.binding(main, other, policy),
  ]);
  return { test2, test3 };
}

/** True when a CHANGE-REQUEST was answered from the alternate address, false when from elsewhere. */
async function verifyChangeRequest(
  ctx: ProbeContext,
  main: ProbeSocket,
  server: Endpoint,
  other: Endpoint,
  policy: Policy,
): Promise<boolean | null> {
  const r = await ctx.binding(main, server, policy, {
    attributes: [changeRequest({ changeIp: true, changePort: true })],
    expectFrom: other,
  });
  return r.outcome === 'answered' ? true : r.outcome === 'wrong-source' || r.outcome === 'error' ? false : null;
}

async function runAllocationProbes(
  ctx: ProbeContext,
  server: Endpoint,
  count: number,
  policy: Policy,
): Promise<{ probe: ProbeSocket; observation: BindingObservation | null }[]> {
  const probes = await Promise.all(Array.from({ length: Math.max(0, count) }, () => ctx.open()));
  const results = await Promise.all(probes.map((p) => ctx.binding(p, server, policy)));
  return probes.map((probe, i) => {
    const r = results[i];
    return { probe, observation: r?.outcome === 'answered' ? r.observation : null };
  });
}

async function runHairpin(
  ctx: ProbeContext,
  main: ProbeSocket,
  primary: BindingObservation,
  allocation: readonly { probe: ProbeSocket; observation: BindingObservation | null }[],
  policy: Policy,
  progress: Progress,
): Promise<boolean | null> {
  const peer = allocation.find((a) => a.observation?.mapped != null);
  if (primary.mapped === null || peer?.observation?.mapped == null) return null;
  progress('hairpinning', 'start');
  const r = await testHairpinning(ctx, { probe: main, mapped: primary.mapped }, { probe: peer.probe, mapped: peer.observation.mapped }, policy);
  progress('hairpinning', 'done', r.via === null ? undefined : `via ${formatEndpoint(r.via)}`);
  return r.hairpinning;
}
