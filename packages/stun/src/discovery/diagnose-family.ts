import { formatEndpoint, sleep, type Endpoint, type Family } from '@natkit/net';
import { changeRequest } from '../proto/index.js';
import { planInitialPolicy, planPolicies } from './policies.js';
import { ProbeContext, type BindingObservation, type DiscoveryComponents, type ProbeResult, type ProbeSocket } from './probe-context.js';
import { runFilteringTests, type FilteringRun } from './run-filtering.js';
import { testHairpinning } from './test-hairpinning.js';
import { testMappingLifetime } from './test-mapping-lifetime.js';
import { detectPortUnreachable } from './detect-port-unreachable.js';
import { buildFamilyReport, unreachableReport, type Evidence } from './build-report.js';
import type { DiagnosisProgress, FamilyReport } from './types.js';

export interface FamilyOptions {
  readonly hairpin: boolean;
  /** Measure the mapping lifetime up to this many seconds; null to skip (it takes minutes). */
  readonly lifetimeMaxSeconds: number | null;
  /** Budget of the first contact with the servers, ms. */
  readonly timeoutMs: number;
  /** Extra fresh sockets that sample the port allocation. */
  readonly allocationSockets: number;
  readonly onProgress?: (p: DiagnosisProgress) => void;
}

/** Diagnoses one address family against `servers` (all of that family). */
export async function diagnoseFamily(
  family: Family,
  servers: readonly Endpoint[],
  options: FamilyOptions,
  components: DiscoveryComponents,
  signal?: AbortSignal,
): Promise<FamilyReport> {
  const ctx = new ProbeContext(components, family, signal);
  const started = components.clock.now();
  try {
    return await run(ctx, servers, options, components, started);
  } finally {
    await ctx.close();
  }
}

async function run(
  ctx: ProbeContext,
  servers: readonly Endpoint[],
  options: FamilyOptions,
  components: DiscoveryComponents,
  started: number,
): Promise<FamilyReport> {
  const progress = (phase: DiagnosisProgress['phase'], state: DiagnosisProgress['state'], detail?: string): void => {
    options.onProgress?.({ family: ctx.family, phase, state, ...(detail === undefined ? {} : { detail }) });
  };
  const elapsed = (): number => Math.round(ctx.clock.now() - started);
  const firstServer = servers[0];
  const localIp = firstServer === undefined ? undefined : await components.network.localAddressFor(firstServer);
  if (firstServer === undefined || localIp === undefined) {
    return unreachableReport(ctx.family, 'no-route', servers, ['no route to any server of this family'], elapsed());
  }
  progress('reachability', 'start');
  const main = await ctx.open();
  const test1 = servers.map((s) => ctx.binding(main, s, planInitialPolicy(options.timeoutMs)));
  const refused = new Set<number>();
  const refusals = servers.map((s, i) =>
    detectPortUnreachable(ctx, s, planInitialPolicy(options.timeoutMs)).then((yes) => {
      if (yes) refused.add(i);
      return yes;
    }),
  );
  const primaryIndex = await pickPrimary(test1, refusals);
  ctx.signal?.throwIfAborted();
  const primaryResult = primaryIndex < 0 ? undefined : await test1[primaryIndex];
  const refusedWarnings = [...refused].sort().map((i) => `${formatEndpoint(servers[i] ?? firstServer)}: port unreachable (ICMP): no STUN server listens there`);
  if (primaryResult?.outcome !== 'answered') {
    progress('reachability', 'done', 'no answer');
    if (refused.size === servers.length) {
      return unreachableReport(ctx.family, 'no-server', servers, refusedWarnings, elapsed());
    }
    const why = servers.length > 1 ? 'no server answered: UDP is blocked on this path' : 'the only server did not answer: UDP is blocked or the server is down';
    return unreachableReport(ctx.family, 'no-response', servers, [why, ...refusedWarnings], elapsed());
  }
  const primary = primaryResult.observation;
  progress('reachability', 'done', `${formatEndpoint(primary.server)} answered in ${primary.rttMs.toFixed(1)} ms`);
  const policies = planPolicies(primary.rttUpperBoundMs);
  const other = usableOtherAddress(primary);
  const warnings: string[] = [...refusedWarnings];
  if (other === null) {
    warnings.push(`${formatEndpoint(primary.server)} has no usable OTHER-ADDRESS: RFC 5780 mapping and filtering tests need a server with two IP addresses and two ports`);
  }

  progress('mapping', 'start');
  progress('filtering', 'start');
  progress('allocation', 'start');
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
  progress('mapping', 'done');
  progress('filtering', 'done');
  progress('allocation', 'done');

  // Answers of the other servers: in flight since the start; wait a little longer, not the full budget.
  const others = await settleWithin(ctx, test1, policies.positive.rtoMs * 2);
  const ev: Evidence = {
    family: ctx.family,
    localAddress: { address: localIp, port: main.socket.local.port },
    servers,
    primary,
    other,
    test1: others,
    mapping,
    filtering,
    allocation: allocation.map((a) => a.observation),
    allocationLocalPorts: allocation.map((a) => a.probe.socket.local.port),
    changeRequestHonored,
    hairpinning,
    lifetime: null,
    warnings,
  };
  if (options.lifetimeMaxSeconds !== null) {
    progress('lifetime', 'start');
    ev.lifetime = await testMappingLifetime(ctx, primary.server, policies, options.lifetimeMaxSeconds);
    progress('lifetime', 'done');
  }
  return buildFamilyReport(ev, elapsed());
}

/**
 * The first server that answers with an OTHER-ADDRESS; else the first that answers at all; else
 * -1. A server known to refuse (ICMP port unreachable) counts as settled, so that a diagnosis
 * against servers that are all down ends at once instead of after the timeout.
 */
async function pickPrimary(test1: readonly Promise<ProbeResult>[], refusals: readonly Promise<boolean>[]): Promise<number> {
  return new Promise((resolve) => {
    let pending = test1.length;
    const settled: (ProbeResult | undefined)[] = test1.map(() => undefined);
    const done = test1.map(() => false);
    const finish = (i: number): void => {
      if (done[i] === true) return;
      done[i] = true;
      if (--pending === 0) resolve(settled.findIndex((s) => s?.outcome === 'answered'));
    };
    if (pending === 0) resolve(-1);
    test1.forEach((p, i) => {
      void p.then(
        (r) => {
          settled[i] = r;
          if (r.outcome === 'answered' && r.observation.otherAddress !== null) resolve(i);
          finish(i);
        },
        () => finish(i),
      );
    });
    refusals.forEach((p, i) => {
      void p.then((yes) => {
        if (yes) finish(i);
      });
    });
  });
}

/** OTHER-ADDRESS when it is of the family and differs from the primary in IP and port. */
function usableOtherAddress(primary: BindingObservation): Endpoint | null {
  const o = primary.otherAddress;
  if (o === null || o.port === 0) return null;
  if (o.address === primary.server.address || o.port === primary.server.port) return null;
  if (o.address.includes(':') !== primary.server.address.includes(':')) return null;
  return o;
}

async function settleWithin(ctx: ProbeContext, all: readonly Promise<ProbeResult>[], ms: number): Promise<(ProbeResult | null)[]> {
  const results: (ProbeResult | null)[] = all.map(() => null);
  const done = Promise.all(all.map(async (p, i) => { results[i] = await p; }));
  const abort = new AbortController();
  await Promise.race([done, sleep(ctx.clock, ms, abort.signal).catch(() => undefined)]);
  abort.abort();
  return results;
}

async function runMappingTests(
  ctx: ProbeContext,
  main: ProbeSocket,
  primary: BindingObservation,
  other: Endpoint,
  policy: Parameters<ProbeContext['binding']>[2],
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
  policy: Parameters<ProbeContext['binding']>[2],
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
  policy: Parameters<ProbeContext['binding']>[2],
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
  policy: Parameters<ProbeContext['binding']>[2],
  progress: (phase: 'hairpinning', state: 'start' | 'done', detail?: string) => void,
): Promise<boolean | null> {
  const peer = allocation.find((a) => a.observation?.mapped != null);
  if (primary.mapped === null || peer?.observation?.mapped == null) return null;
  progress('hairpinning', 'start');
  const r = await testHairpinning(ctx, { probe: main, mapped: primary.mapped }, { probe: peer.probe, mapped: peer.observation.mapped }, policy);
  progress('hairpinning', 'done', r.via === null ? undefined : `via ${formatEndpoint(r.via)}`);
  return r.hairpinning;
}
