import type { Endpoint } from '@natkit/net';
import { decodeAddressValue, encodeAddressValue } from './address.js';
import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType } from './constants.js';
import type { StunMessage } from './message.js';

/**
 * XOR-MAPPED-ADDRESS: the reflexive address XORed with the magic cookie (and, for IPv6, the
 * transaction id) so that ALGs do not rewrite it. RFC 8489 §14.2
 * Throws StunEncodeError (when the message is encoded) for a non-IP address or a bad port.
 */
export function xorMappedAddress(e: Endpoint): AttributeSpec {
  encodeAddressValue(e); // Validate now, so that the error points at the caller.
  return { type: AttributeType.XorMappedAddress, value: (id) => encodeAddressValue(e, id) };
}

/** The XOR-MAPPED-ADDRESS of `m`; undefined when absent or malformed. RFC 8489 §14.2 */
export function readXorMappedAddress(m: StunMessage): Endpoint | undefined {
  const a = getAttribute(m, AttributeType.XorMappedAddress);
  return a === undefined ? undefined : decodeAddressValue(a.value, m.transactionId);
}
