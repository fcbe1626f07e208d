import * as v from 'valibot';

/**
 * A peer's NAT profile as `natkit diagnose` measures it (@natkit/stun `FamilyReport`): RFC 4787
 * §4.1 mapping and §5 filtering behavior, the §4.2 port allocation pattern and step. The punch
 * planner of the other side picks its strategy from both profiles.
 */
const DEPENDENCY = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent', 'unknown'] as const;
const PATTERN = ['preserving', 'sequential', 'random', 'unknown'] as const;

export const FamilyProfileSchema = v.strictObject({
  /** A STUN server answered over UDP; false: relay over TCP only. */
  udp: v.boolean(),
  mapping: v.picklist(DEPENDENCY),
  filtering: v.picklist(DEPENDENCY),
  allocation: v.strictObject({
    pattern: v.picklist(PATTERN),
    /** For `sequential`: the step between consecutive allocations (may be negative); else null. */
    step: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(-65_535), v.maxValue(65_535))),
  }),
  hairpinning: v.nullable(v.boolean()),
  mappingLifetimeSeconds: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400))),
});

export type FamilyProfile = v.InferOutput<typeof FamilyProfileSchema>;

/** One profile per address family; null when the family is not available to the peer. */
export const NatProfileSchema = v.strictObject({
  ipv4: v.nullable(FamilyProfileSchema),
  ipv6: v.nullable(FamilyProfileSchema),
});

export type NatProfile = v.InferOutput<typeof NatProfileSchema>;
