import { createHash } from 'node:crypto';
import { AttributeType, getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';

/** Size of USERHASH (SHA-256). RFC 8489 §14.4 */
export const USERHASH_LENGTH = 32;

/**
 * The USERHASH value SHA-256(OpaqueString(username) ":" OpaqueString(realm)). RFC 8489 §14.4.
 * OpaqueString (RFC 8265) is the identity for the ASCII names used here; other text is NFC.
 */
export function computeUserhash(username: string, realm: string): Uint8Array {
  return createHash('sha256').update(`${username.normalize('NFC')}:${realm.normalize('NFC')}`, 'utf8').digest();
}

/** USERHASH: the hashed user name, sent instead of USERNAME. RFC 8489 §14.4 */
export function userhash(value: Uint8Array): AttributeSpec {
  return { type: AttributeType.Userhash, value };
}

/** The USERHASH of `m`; undefined when absent, 'malformed' when not 32 bytes. */
export function readUserhash(m: StunMessage): Uint8Array | 'malformed' | undefined {
  const a = getAttribute(m, AttributeType.Userhash);
  if (a === undefined) return undefined;
  return a.value.length === USERHASH_LENGTH ? a.value : 'malformed';
}
