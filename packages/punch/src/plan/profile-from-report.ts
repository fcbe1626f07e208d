import type { FamilyReport } from '@natkit/stun';
import type { NatProfile } from './types.js';

/** The planner's view of one family of a `diagnose()` report. */
export function profileFromReport(report: FamilyReport): NatProfile {
  return {
    family: report.family,
    mapping: report.mapping,
    filtering: report.filtering,
    allocation: report.portAllocation.pattern,
    delta: report.portAllocation.delta,
    hairpinning: report.hairpinning,
  };
}
