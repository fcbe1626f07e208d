import type { NatOptions } from './nat-behavior.js';

/**
 * Named NAT behaviours. The classic names map onto RFC 4787's two axes; the `linux…` ones
 * reproduce the rules measured in the real lab (docs/nat-lab.md). Combine freely:
 * `{ ...natPresets.symmetric, hairpinning: true }`.
 */
export const natPresets = {
  /** EIM + EIF (a full cone). */
  fullCone: { mapping: 'endpoint-independent', filtering: 'endpoint-independent', portAllocation: 'preserve' },
  /** EIM + ADF. */
  restrictedCone: { mapping: 'endpoint-independent', filtering: 'address-dependent', portAllocation: 'preserve' },
  /** EIM + APDF. */
  portRestrictedCone: {
    mapping: 'endpoint-independent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'preserve',
  },
  /** APDM + APDF with random ports. */
  symmetric: {
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'random',
  },
  /** APDM + APDF with consecutive ports (predictable by a port-prediction strategy). */
  symmetricSequential: {
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'sequential',
    delta: 1,
  },
  /** A static one-to-one NAT: only the address changes, anything may come in. */
  oneToOne: { mapping: 'endpoint-independent', filtering: 'endpoint-independent', portAllocation: 'preserve' },
  /** `oifname wan masquerade`: EIM + APDF, ports preserved, refreshed both ways (conntrack). */
  linuxMasquerade: {
    mapping: 'endpoint-independent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'preserve',
    inboundRefresh: true,
  },
  /** `masquerade random`: APDM + APDF with random ports. */
  linuxMasqueradeRandom: {
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'random',
    inboundRefresh: true,
  },
  /** `snat to A : numgen inc mod M offset N`: APDM, ports step by 256 (counter lands byte-swapped). */
  linuxSnatSequentialStep256: {
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'sequential',
    delta: 256,
    inboundRefresh: true,
  },
  /** `snat to A : jhash ip saddr . udp sport . ip daddr ...`: ADM + APDF, hashed (random-looking) ports. */
  linuxSnatAddressDependent: {
    mapping: 'address-dependent',
    filtering: 'address-and-port-dependent',
    portAllocation: 'random',
    inboundRefresh: true,
  },
} as const satisfies Record<string, NatOptions>;

export type NatPresetName = keyof typeof natPresets;
