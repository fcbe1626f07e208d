import type { Family } from '@natkit/net';
import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { FAMILY_IPV4, FAMILY_IPV6, TurnAttributeType } from './constants.js';

/*
 * REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6) and ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11)
 * share one format: a family byte (0x01 IPv4, 0x02 IPv6) and 3 reserved bytes.
 */

/** A family value that is neither IPv4 nor IPv6 (answered with 440). */
export type FamilyValue = Family | 'unknown';

function encode(type: number, family: Family): AttributeSpec {
  return { type, value: Uint8Array.of(family === 4 ? FAMILY_IPV4 : FAMILY_IPV6, 0, 0, 0) };
}

function read(m: StunMessage, type: number): FamilyValue | 'malformed' | undefined {
  const a = getAttribute(m, type);
  if (a === undefined) return undefined;
  if (a.value.length !== 4) return 'malformed';
  const v = a.value[0];
  return v === FAMILY_IPV4 ? 4 : v === FAMILY_IPV6 ? 6 : 'unknown';
}

/** REQUESTED-ADDRESS-FAMILY. RFC 8656 §18.6 */
export function requestedAddressFamily(family: Family): AttributeSpec {
  return encode(TurnAttributeType.RequestedAddressFamily, family);
}
export function readRequestedAddressFamily(m: StunMessage): FamilyValue | 'malformed' | undefined {
  return read(m, TurnAttributeType.RequestedAddressFamily);
}

/**
 * The code point draft-ietf-tram-turnbis used for ADDITIONAL-ADDRESS-FAMILY before RFC 8656
 * assigned 0x8000; coturn 4.6 (`turnutils_uclient -Z`) still sends it. Read as an alias.
 */
export const LEGACY_ADDITIONAL_ADDRESS_FAMILY = 0x8032;

/** ADDITIONAL-ADDRESS-FAMILY (IPv6 only, for a dual allocation). RFC 8656 §18.11 */
export function additionalAddressFamily(family: Family): AttributeSpec {
  return encode(TurnAttributeType.AdditionalAddressFamily, family);
}
export function readAdditionalAddressFamily(m: StunMessage): FamilyValue | 'malformed' | undefined {
  return read(m, TurnAttributeType.AdditionalAddressFamily) ?? read(m, LEGACY_ADDITIONAL_ADDRESS_FAMILY);
}
