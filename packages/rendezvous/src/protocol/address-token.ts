import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';

/**
 * ADDRESS-TOKEN, natkit's STUN attribute proving which peer sent a Binding request: the 16-byte
 * token the rendezvous issued over the peer's authenticated WebSocket (`address-token`), then
 * the peer id it was issued to (ASCII). Comprehension-optional (RFC 8489 §18.3: 0x8000-0xFFFF),
 * so any STUN server ignores it and answers the Binding as usual; natkit's rendezvous reads it.
 * 0xC4E7 is not registered with IANA (no private-use range exists for STUN attributes).
 */
export const ADDRESS_TOKEN_ATTRIBUTE = 0xc4e7;
/**
 * ADDRESS-PROOF: the server's answer to a valid ADDRESS-TOKEN, in a Binding indication sent to the
 * source the token came from: 16 random bytes the peer repeats over its WebSocket
 * (`address-proof`), which shows it receives at that address too (return routability: a sender
 * that only spoofs the source never sees them). Comprehension-optional, not IANA-registered.
 */
export const ADDRESS_PROOF_ATTRIBUTE = 0xc4e8;
/** Random bytes of a token, and of a proof. */
export const ADDRESS_TOKEN_BYTES = 16;
/** A peer id is 58 ASCII characters; a little room, never more. */
const MAX_PEER_ID_BYTES = 128;

export interface AddressTokenValue {
  readonly token: Uint8Array;
  readonly peerId: string;
}

/** The attribute of a token (bytes) and the peer id it was issued to. */
export function addressTokenAttribute(token: Uint8Array, peerId: string): AttributeSpec {
  const id = Buffer.from(peerId, 'latin1');
  const value = new Uint8Array(token.length + id.length);
  value.set(token, 0);
  value.set(id, token.length);
  return { type: ADDRESS_TOKEN_ATTRIBUTE, value };
}

/** The ADDRESS-TOKEN of a decoded message; undefined when absent or malformed. Never throws. */
export function readAddressToken(message: StunMessage): AddressTokenValue | undefined {
  const a = getAttribute(message, ADDRESS_TOKEN_ATTRIBUTE);
  if (a === undefined || a.value.length <= ADDRESS_TOKEN_BYTES || a.value.length > ADDRESS_TOKEN_BYTES + MAX_PEER_ID_BYTES) return undefined;
  const id = a.value.subarray(ADDRESS_TOKEN_BYTES);
  for (const byte of id) if (byte < 0x21 || byte > 0x7e) return undefined;
  return { token: a.value.slice(0, ADDRESS_TOKEN_BYTES), peerId: Buffer.from(id).toString('latin1') };
}

/** The ADDRESS-PROOF bytes of a decoded message; undefined when absent or not ADDRESS_TOKEN_BYTES long. */
export function readAddressProof(message: StunMessage): Uint8Array | undefined {
  const a = getAttribute(message, ADDRESS_PROOF_ATTRIBUTE);
  return a === undefined || a.value.length !== ADDRESS_TOKEN_BYTES ? undefined : a.value.slice();
}
