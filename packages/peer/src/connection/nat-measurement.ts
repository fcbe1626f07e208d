import { formatEndpoint, type Clock, type Endpoint, type Family, type Logger, type Network, type UdpSocket } from '@natkit/net';
import type { NatProfile as PunchProfile } from '@natkit/punch';
import { natProfileFromDiagnosis, type FamilyProfile, type NatProfile } from '@natkit/rendezvous';
import { diagnose, readXorMappedAddress, StunClient } from '@natkit/stun';

/**
 * How a peer learns its NAT profile: `'diagnose'` (default: RFC 5780 tests against the natkit
 * server, which needs `natkit serve --alternate-address` for mapping and filtering), `'skip'`
 * (profile unknown: only the cheap simultaneous open is tried), or a profile given by the caller.
 */
export type NatSource = 'diagnose' | 'skip' | NatProfile;

/** A profile that says "UDP works, behavior unknown": the planner then tries simultaneous open. */
export function unknownProfile(udp: boolean): FamilyProfile {
  return { udp, mapping: 'unknown', filtering: 'unknown', allocation: { pattern: 'unknown', step: null }, hairpinning: null, mappingLifetimeSeconds: null };
}

export interface NatMeasurement {
  readonly nat: NatProfile;
  /** Our socket's server-reflexive address (a STUN Binding to the server), or null (UDP blocked). */
  readonly srflx: Endpoint | null;
  /** Time the diagnosis took, ms (null when it was skipped or given). */
  readonly diagnosisMs: number | null;
  /** What the diagnosis could not tell (e.g. a server without an alternate address). */
  readonly notes: readonly string[];
}

export interface NatMeasureDeps {
  readonly network: Network;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** Binding retransmissions: 0, 150, 450, 1050 ms; gives up after ~1.6 s (UDP blocked). */
const BINDING_POLICY = { rtoMs: 150, rc: 4, rm: 4, maxRtoMs: 600 };

/**
 * Measures the NAT of `socket`'s family: the diagnosis first (its own sockets), then a STUN
 * Binding from `socket` itself, so that on a sequential allocator the server-reflexive port is
 * the latest allocation (the port predictions of the other side start from it).
 */
export async function measureNat(source: NatSource, server: Endpoint, socket: UdpSocket, deps: NatMeasureDeps): Promise<NatMeasurement> {
  const family = socket.family;
  const notes: string[] = [];
  let nat: NatProfile;
  let diagnosisMs: number | null = null;
  if (source === 'diagnose') {
    const started = deps.clock.now();
    nat = await diagnoseProfile(server, family, deps, notes);
    diagnosisMs = Math.round(deps.clock.now() - started);
  } else {
    nat = source === 'skip' ? withFamily(family, unknownProfile(true)) : source;
  }
  const srflx = await bindingOf(socket, server, deps);
  if (srflx === null) notes.push(`no STUN answer from ${formatEndpoint(server)} over UDP: no server-reflexive candidate`);
  const own = family === 4 ? nat.ipv4 : nat.ipv6;
  if (srflx === null && own !== null) nat = withFamily(family, { ...own, udp: false });
  return { nat, srflx, diagnosisMs, notes };
}

async function diagnoseProfile(server: Endpoint, family: Family, deps: NatMeasureDeps, notes: string[]): Promise<NatProfile> {
  try {
    const report = await diagnose(
      { servers: server, families: [family], timeoutMs: 1_500, allocationSockets: 4, ...(deps.signal === undefined ? {} : { signal: deps.signal }) },
      { network: deps.network, clock: deps.clock, logger: deps.logger },
    );
    const r = family === 4 ? report.ipv4 : report.ipv6;
    for (const w of r?.warnings ?? []) notes.push(w);
    if (r !== null && r !== undefined && (r.mapping === 'unknown' || r.filtering === 'unknown')) {
      notes.push(`mapping ${r.mapping}, filtering ${r.filtering}: a server started with --alternate-address tells them; with an unknown mapping only simultaneous open is tried`);
    }
    const nat = natProfileFromDiagnosis(report);
    return { ipv4: family === 4 ? nat.ipv4 : null, ipv6: family === 6 ? nat.ipv6 : null };
  } catch (e) {
    notes.push(`NAT diagnosis failed: ${e instanceof Error ? e.message : String(e)}`);
    return withFamily(family, unknownProfile(true));
  }
}

async function bindingOf(socket: UdpSocket, server: Endpoint, deps: NatMeasureDeps): Promise<Endpoint | null> {
  const client = new StunClient({ policy: BINDING_POLICY }, { socket, clock: deps.clock, logger: deps.logger });
  try {
    const response = await client.request(server, deps.signal === undefined ? {} : { signal: deps.signal });
    return readXorMappedAddress(response.message) ?? null;
  } catch (e) {
    deps.logger.debug('server-reflexive binding failed', { error: e instanceof Error ? e.message : String(e) });
    return null;
  } finally {
    client.close();
  }
}

function withFamily(family: Family, profile: FamilyProfile): NatProfile {
  return family === 4 ? { ipv4: profile, ipv6: null } : { ipv4: null, ipv6: profile };
}

/** The punch planner's profiles (one per family) of a registered NAT profile. */
export function punchProfiles(nat: NatProfile): PunchProfile[] {
  const out: PunchProfile[] = [];
  for (const [family, p] of [[4, nat.ipv4], [6, nat.ipv6]] as const) {
    if (p === null || !p.udp) continue;
    out.push({ family, mapping: p.mapping, filtering: p.filtering, allocation: p.allocation.pattern, delta: p.allocation.step, hairpinning: p.hairpinning });
  }
  return out;
}
