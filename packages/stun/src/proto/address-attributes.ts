import type { Endpoint } from '@natkit/net';
import { decodeAddressValue, encodeAddressValue } from './address.js';
import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType } from './constants.js';
import type { StunMessage } from './message.js';

/*
 * The attributes that carry a transport address in the MAPPED-ADDRESS format (RFC 8489 §14.1)
 * without obfuscation. XOR-MAPPED-ADDRESS is in xor-mapped-address.ts.
 */

function plain(type: number): (e: Endpoint) => AttributeSpec {
  return (e) => ({ type, value: encodeAddressValue(e) });
}

function reader(type: number): (m: StunMessage) => Endpoint | undefined {
  return (m) => {
    const a = getAttribute(m, type);
    return a === undefined ? undefined : decodeAddressValue(a.value);
  };
}

/** MAPPED-ADDRESS: the reflexive address, unobfuscated. RFC 8489 §14.1 */
export const mappedAddress = plain(AttributeType.MappedAddress);
export const readMappedAddress = reader(AttributeType.MappedAddress);

/** RESPONSE-ORIGIN: the address the response was sent from. RFC 5780 §7.3 */
export const responseOrigin = plain(AttributeType.ResponseOrigin);
export const readResponseOrigin = reader(AttributeType.ResponseOrigin);

/** OTHER-ADDRESS: the address a change-IP-and-port response would come from. RFC 5780 §7.4 */
export const otherAddress = plain(AttributeType.OtherAddress);
export const readOtherAddress = reader(AttributeType.OtherAddress);

/** CHANGED-ADDRESS: RFC 3489's OTHER-ADDRESS. RFC 3489 §11.2.3 */
export const changedAddress = plain(AttributeType.ChangedAddress);
export const readChangedAddress = reader(AttributeType.ChangedAddress);

/** SOURCE-ADDRESS: RFC 3489's RESPONSE-ORIGIN. RFC 3489 §11.2.5 */
export const sourceAddress = plain(AttributeType.SourceAddress);
export const readSourceAddress = reader(AttributeType.SourceAddress);

/** ALTERNATE-SERVER: where a 300 Try Alternate points. RFC 8489 §14.15 */
export const alternateServer = plain(AttributeType.AlternateServer);
export const readAlternateServer = reader(AttributeType.AlternateServer);

/** RESPONSE-ADDRESS: RFC 3489's "send the response there" (deprecated). RFC 3489 §11.2.2 */
export const responseAddress = plain(AttributeType.ResponseAddress);
export const readResponseAddress = reader(AttributeType.ResponseAddress);
