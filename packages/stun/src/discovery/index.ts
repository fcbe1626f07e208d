export type * from './types.js';
export { diagnose, resolveServers, DEFAULT_STUN_PORT, MAX_SERVERS, type DiagnoseOptions, type DiagnoseComponents } from './diagnose.js';
export type { DiscoveryComponents } from './probe-context.js';
export { classifyMapping, classifyMappingFanOut, type MappingObservations, type Classified } from './classify-mapping.js';
export { classifyFiltering, type FilteringObservations, type ProbeOutcome } from './classify-filtering.js';
export {
  classifyPortAllocation,
  classifyPortPreservation,
  portDelta,
  circularGaps,
  sequentialStep,
  type AllocationSample,
} from './classify-allocation.js';
export { classifyClassic, assessOutlook, type ClassicInputs } from './classify-classic.js';
export { detectCarrierGradeNat, isSharedAddressSpace } from './detect-carrier-grade-nat.js';
export { planLifetimeTrials, updateLifetimeKnowledge, type LifetimeKnowledge, type LifetimePlanOptions } from './plan-lifetime.js';
export { planInitialPolicy, planPolicies, type DiscoveryPolicies } from './policies.js';
