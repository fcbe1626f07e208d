import { createHash } from 'node:crypto';
import { longTermKey, saslPrep } from '@natkit/stun';
import { PasswordAlgorithm } from '../proto/password-algorithms.js';

/** The password algorithms this server offers, strongest first. RFC 8489 §14.11 */
export const OFFERED_ALGORITHMS = [PasswordAlgorithm.Sha256, PasswordAlgorithm.Md5] as const;

/**
 * The long-term credential key for `algorithm`: MD5 or SHA-256 of
 * username ":" realm ":" password. RFC 8489 §9.2.2. MD5 reuses the STUN package's key.
 */
export function passwordKey(algorithm: number, username: string, realm: string, password: string): Uint8Array {
  if (algorithm === PasswordAlgorithm.Sha256) {
    return createHash('sha256').update(`${username}:${realm}:${saslPrep(password)}`, 'utf8').digest();
  }
  return longTermKey(username, realm, password);
}
