import { formatEndpoint, type Endpoint, type Family } from '@natkit/net';
import { planPolicies } from './policies.js';
import { ProbeContext, type DiscoveryComponents, type ProbeSocket } from './probe-context.js';
import { reachServers, settleWithin, usableOtherAddress, type Reachability } from './reach-servers.js';
import { runBehaviorTests, type Progress } from './run-behavior-tests.js';
import { testMappingLifetime } from './test-mapping-lifetime.js';
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
  const progress: Progress = (phase, state, detail) => {
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
  const reached = await reachServers(ctx, main, servers, options.timeoutMs);
  if (reached.kind === 'unreachable') {
    progress('reachability', 'done', 'no answer');
    return unreachableReport(ctx.family, reached.failure, servers, reached.warnings, elapsed());
  }
  const ev = await testBehavior(ctx, main, reached, { address: localIp, port: main.socket.local.port }, servers, options, progress);
  return buildFamilyReport(ev, elapsed());
}

/**
 * The primary server answered test I (`reached`): the behavior tests, the other servers' answers
 * to test I, and (when asked) the mapping lifetime, as the report's Evidence.
 */
async function testBehavior(
  ctx: ProbeContext,
  main: ProbeSocket,
  reached: Extract<Reachability, { kind: 'answered' }>,
  localAddress: Endpoint,
  servers: readonly Endpoint[],
  options: FamilyOptions,
  progress: Progress,
): Promise<Evidence> {
  const { primary } = reached;
  progress('reachability', 'done', `${formatEndpoint(primary.server)} answered in ${primary.rttMs.toFixed(1)} ms`);
  const policies = planPolicies(primary.rttUpperBoundMs);
  const other = usableOtherAddress(primary);
  const warnings: string[] = [...reached.warnings];
  if (other === null) {
    warnings.push(`${formatEndpoint(primary.server)} has no usable OTHER-ADDRESS: RFC 5780 mapping and filtering tests need a server with two IP addresses and two ports`);
  }

  for (const phase of ['mapping', 'filtering', 'allocation'] as const) progress(phase, 'start');
  const tests = await runBehaviorTests(ctx, main, primary, other, policies, options, progress);
  for (const phase of ['mapping', 'filtering', 'allocation'] as const) progress(phase, 'done');

  // Answers of the other servers: in flight since the start; wait a little longer, not the full budget.
  const others = await settleWithin(ctx, reached.test1, policies.positive.rtoMs * 2);
  const ev: Evidence = {
    family: ctx.family,
    localAddress,
    servers,
    primary,
    other,
    test1: others,
    mapping: tests.mapping,
    filtering: tests.filtering,
    allocation: tests.allocation.map((a) => a.observation),
    allocationLocalPorts: tests.allocation.map((a) => a.probe.socket.local.port),
    changeRequestHonored: tests.changeRequestHonored,
    hairpinning: tests.hairpinning,
    lifetime: null,
    warnings,
  };
  if (options.lifetimeMaxSeconds !== null) {
    progress('lifetime', 'start');
    ev.lifetime = await testMappingLifetime(ctx, primary.server, policies, options.lifetimeMaxSeconds);
    progress('lifetime', 'done');
  }
  return ev;
}
