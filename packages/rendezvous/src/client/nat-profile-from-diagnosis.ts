import type { DiagnosisReport, FamilyReport } from '@natkit/stun';
import type { FamilyProfile, NatProfile } from '../protocol/nat-profile.js';

/** The NAT profile to register, from `natkit diagnose`'s report (@natkit/stun `diagnose`). */
export function natProfileFromDiagnosis(report: Pick<DiagnosisReport, 'ipv4' | 'ipv6'>): NatProfile {
  return { ipv4: familyProfile(report.ipv4), ipv6: familyProfile(report.ipv6) };
}

function familyProfile(family: FamilyReport | null): FamilyProfile | null {
  if (family === null) return null;
  const step = family.portAllocation.delta;
  return {
    udp: family.udp,
    mapping: family.mapping,
    filtering: family.filtering,
    allocation: { pattern: family.portAllocation.pattern, step: step !== null && Number.isInteger(step) && Math.abs(step) <= 65_535 ? step : null },
    hairpinning: family.hairpinning,
    mappingLifetimeSeconds: family.mappingLifetimeSeconds === null ? null : Math.min(86_400, Math.max(0, Math.round(family.mappingLifetimeSeconds))),
  };
}
