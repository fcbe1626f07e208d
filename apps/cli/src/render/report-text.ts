import { formatEndpoint, type Endpoint } from '@natkit/net';
import type { DiagnosisReport, FamilyReport } from '@natkit/stun';

const CLASSIC_NAMES: Record<FamilyReport['classic'], string> = {
  'open-internet': 'Open Internet (no NAT)',
  'full-cone': 'Full Cone NAT',
  'restricted-cone': 'Restricted Cone NAT',
  'port-restricted-cone': 'Port Restricted Cone NAT',
  symmetric: 'Symmetric NAT',
  'udp-firewall': 'Symmetric UDP Firewall (no NAT, filtered)',
  blocked: 'UDP Blocked',
  unknown: 'Unknown',
};

const VERDICTS: Record<FamilyReport['outlook']['verdict'], string> = {
  direct: 'DIRECT: peers can reach you',
  punchable: 'PUNCHABLE: hole punching works with most peers',
  hard: 'HARD: hole punching needs prediction or many sockets; expect a relay often',
  'relay-only': 'RELAY ONLY: peer-to-peer UDP cannot work from here',
  unknown: 'UNKNOWN',
};

const ep = (e: Endpoint | null): string => (e === null ? '-' : formatEndpoint(e));
const tri = (v: boolean | null, yes: string, no: string): string => (v === null ? 'not tested / unknown' : v ? yes : no);

function allocationLine(f: FamilyReport): string {
  const a = f.portAllocation;
  const samples = a.samples.length > 0 ? ` (ports ${a.samples.slice(0, 8).join(', ')}${a.samples.length > 8 ? ', ...' : ''})` : '';
  if (a.pattern === 'sequential') return `sequential, step ${a.delta ?? '?'}${samples}`;
  return `${a.pattern}${samples}`;
}

/** The human-readable report of one family: verdict first, then the RFC 4787 terms. */
export function renderFamily(f: FamilyReport): string {
  const lines: string[] = [];
  lines.push(`IPv${f.family}: ${VERDICTS[f.outlook.verdict]}`);
  lines.push(`  ${f.outlook.reason}`);
  lines.push(`  NAT type (RFC 3489):   ${CLASSIC_NAMES[f.classic]}`);
  if (f.udp) {
    lines.push(`  Mapping (RFC 4787):    ${f.mapping}`);
    lines.push(`  Filtering (RFC 4787):  ${f.filtering}`);
    lines.push(`  Local address:         ${ep(f.localAddress)}`);
    lines.push(`  Mapped address:        ${ep(f.mappedAddress)}${f.natDetected === true ? ' (translated: NAT present)' : f.natDetected === false ? ' (same as local: no NAT)' : ''}`);
    lines.push(`  Port preservation:     ${tri(f.portPreservation, 'yes', 'no')}`);
    lines.push(`  Port allocation:       ${allocationLine(f)}`);
    lines.push(`  Hairpinning:           ${tri(f.hairpinning, 'yes', 'no')}`);
    lines.push(`  Mapping lifetime:      ${f.mappingLifetimeSeconds === null ? 'not tested / unknown' : `at least ${f.mappingLifetimeSeconds} s idle`}`);
    if (f.carrierGradeNat.suspected) lines.push(`  Carrier-grade NAT:     suspected: ${f.carrierGradeNat.reasons.join('; ')}`);
    if (f.algDetected) lines.push('  ALG:                   detected (MAPPED-ADDRESS differs from XOR-MAPPED-ADDRESS)');
  } else {
    const why =
      f.udpFailure === 'no-route'
        ? 'no route to the servers'
        : f.udpFailure === 'no-server'
          ? 'nothing listens at the server address (ICMP port unreachable)'
          : 'no answer from any server';
    lines.push(`  UDP:                   ${why}`);
  }
  for (const s of f.servers) {
    const rfc5780 = s.behaviorDiscovery === true ? 'RFC 5780 ok' : s.behaviorDiscovery === false ? 'no RFC 5780 support' : s.otherAddress === null ? 'no OTHER-ADDRESS' : 'RFC 5780 untested';
    lines.push(`  Server ${ep(s.address)}: ${s.rttMs === null ? 'no answer' : `rtt ${s.rttMs} ms`}, ${rfc5780}${s.software === null ? '' : `, "${s.software}"`}`);
  }
  for (const w of f.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

export function renderReport(r: DiagnosisReport): string {
  const parts = [r.ipv4, r.ipv6].filter((f): f is FamilyReport => f !== null).map(renderFamily);
  if (r.ipv4 === null) parts.push('IPv4: not tested (no IPv4 server address)');
  if (r.ipv6 === null) parts.push('IPv6: not tested (no IPv6 server address)');
  for (const w of r.warnings) parts.push(`warning: ${w}`);
  parts.push(`Finished in ${r.durationMs} ms.`);
  return parts.join('\n\n');
}
