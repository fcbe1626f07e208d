import { StunEncodeError } from '../errors.js';

/** Text limits of SOFTWARE, REALM, NONCE and the ERROR-CODE reason. RFC 8489 §14.8-14.10, §14.14 */
export const MAX_TEXT_CHARACTERS = 127; // "fewer than 128 characters"
export const MAX_TEXT_ENCODE_BYTES = 509; // "as long as 509 bytes when encoding them"
export const MAX_TEXT_DECODE_BYTES = 763; // "as long as 763 bytes when decoding them"

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of `text`, throwing StunEncodeError when over the character or byte limit. */
export function encodeText(what: string, text: string, maxBytes: number, maxCharacters?: number): Uint8Array {
  if (maxCharacters !== undefined) {
    let n = 0; // code points: every UTF-16 unit but the low surrogates
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) n++;
    }
    if (n > maxCharacters) throw new StunEncodeError(`${what} has ${n} characters (at most ${maxCharacters})`);
  }
  const bytes = encoder.encode(text);
  if (bytes.length > maxBytes) {
    throw new StunEncodeError(`${what} is ${bytes.length} bytes of UTF-8 (at most ${maxBytes})`);
  }
  return bytes;
}

/** The text of a UTF-8 value; undefined when over `maxBytes` or not valid UTF-8. */
export function decodeText(value: Uint8Array, maxBytes: number): string | undefined {
  if (value.length > maxBytes) return undefined;
  try {
    return decoder.decode(value);
  } catch {
    return undefined;
  }
}
