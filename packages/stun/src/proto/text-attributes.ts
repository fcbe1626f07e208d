import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType } from './constants.js';
import type { StunMessage } from './message.js';
import { decodeText, encodeText, MAX_TEXT_CHARACTERS, MAX_TEXT_DECODE_BYTES, MAX_TEXT_ENCODE_BYTES } from './text.js';

/**
 * USERNAME limits: fewer than 509 bytes when we encode (RFC 8489 §14.3); RFC 5389 §15.3
 * allowed fewer than 513, which we accept when decoding.
 */
export const MAX_USERNAME_ENCODE_BYTES = 508;
export const MAX_USERNAME_DECODE_BYTES = 512;

function reader(type: number, maxBytes: number): (m: StunMessage) => string | undefined {
  return (m) => {
    const a = getAttribute(m, type);
    return a === undefined ? undefined : decodeText(a.value, maxBytes);
  };
}

/** SOFTWARE: agent name and version. RFC 8489 §14.14. Throws StunEncodeError over the limits. */
export function software(text: string): AttributeSpec {
  const value = encodeText('SOFTWARE', text, MAX_TEXT_ENCODE_BYTES, MAX_TEXT_CHARACTERS);
  return { type: AttributeType.Software, value };
}
export const readSoftware = reader(AttributeType.Software, MAX_TEXT_DECODE_BYTES);

/**
 * USERNAME. RFC 8489 §14.3. The text is encoded as given: OpaqueString preparation (RFC 8265)
 * is the caller's, and is the identity for ASCII usernames.
 */
export function username(text: string): AttributeSpec {
  return { type: AttributeType.Username, value: encodeText('USERNAME', text, MAX_USERNAME_ENCODE_BYTES) };
}
export const readUsername = reader(AttributeType.Username, MAX_USERNAME_DECODE_BYTES);

/** REALM. RFC 8489 §14.9 */
export function realm(text: string): AttributeSpec {
  const value = encodeText('REALM', text, MAX_TEXT_ENCODE_BYTES, MAX_TEXT_CHARACTERS);
  return { type: AttributeType.Realm, value };
}
export const readRealm = reader(AttributeType.Realm, MAX_TEXT_DECODE_BYTES);

/** NONCE. RFC 8489 §14.10 */
export function nonce(text: string): AttributeSpec {
  const value = encodeText('NONCE', text, MAX_TEXT_ENCODE_BYTES, MAX_TEXT_CHARACTERS);
  return { type: AttributeType.Nonce, value };
}
export const readNonce = reader(AttributeType.Nonce, MAX_TEXT_DECODE_BYTES);
