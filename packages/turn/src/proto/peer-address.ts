import type { Endpoint } from '@natkit/net';
import { decodeAddressValue, encodeAddressValue, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/**
 * XOR-PEER-ADDRESS: a peer's transport address, XORed like XOR-MAPPED-ADDRESS. RFC 8656 §18.3.
 * Throws StunEncodeError for an address that is not an IP literal or a bad port.
 */
export function xorPeerAddress(e: Endpoint): AttributeSpec {
  encodeAddressValue(e); // validate now, so that the error points at the caller
  return { type: TurnAttributeType.XorPeerAddress, value: (id) => encodeAddressValue(e, id) };
}

/** Every XOR-PEER-ADDRESS of `m` (CreatePermission may carry several). RFC 8656 §10.1 */
export function readXorPeerAddresses(m: StunMessage): XorAddressList {
  return readAll(m, TurnAttributeType.XorPeerAddress);
}

/** The first XOR-PEER-ADDRESS of `m`; undefined when absent, 'malformed' when it does not decode. */
export function readXorPeerAddress(m: StunMessage): Endpoint | 'malformed' | undefined {
  const list = readXorPeerAddresses(m);
  if (list === 'malformed') return 'malformed';
  return list[0];
}

/** XOR-RELAYED-ADDRESS: the relayed transport address of an allocation. RFC 8656 §18.5 */
export function xorRelayedAddress(e: Endpoint): AttributeSpec {
  encodeAddressValue(e);
  return { type: TurnAttributeType.XorRelayedAddress, value: (id) => encodeAddressValue(e, id) };
}

/** Every XOR-RELAYED-ADDRESS of `m` (two for a dual allocation). RFC 8656 §7.3 */
export function readXorRelayedAddresses(m: StunMessage): XorAddressList {
  return readAll(m, TurnAttributeType.XorRelayedAddress);
}

/** The decoded addresses, or 'malformed' when any one of them does not decode. */
export type XorAddressList = readonly Endpoint[] | 'malformed';

function readAll(m: StunMessage, type: number): XorAddressList {
  const out: Endpoint[] = [];
  for (const a of m.attributes) {
    if (a.type !== type) continue;
    const e = decodeAddressValue(a.value, m.transactionId);
    if (e === undefined) return 'malformed';
    out.push(e);
  }
  return out;
}
