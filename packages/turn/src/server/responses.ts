import {
  AttributeType,
  encodeMessage,
  errorCode,
  getAttribute,
  unknownAttributes,
  type AttributeSpec,
  type StunMessage,
} from '@natkit/stun';
import type { Authenticated } from '../auth/authenticate.js';
import { TurnErrorReasons } from '../proto/constants.js';

/**
 * Encodes a response to `m`: signed with the request's key (MESSAGE-INTEGRITY, or
 * MESSAGE-INTEGRITY-SHA256 when the request used it, RFC 8489 §9.2.4) when authenticated, and
 * with FINGERPRINT when the request carried one.
 */
export function encodeResponse(
  m: StunMessage,
  cls: 'success' | 'error',
  attributes: readonly AttributeSpec[],
  auth: Authenticated | undefined,
): Uint8Array {
  const fingerprint = getAttribute(m, AttributeType.Fingerprint) !== undefined;
  const keyOption = auth === undefined ? {} : auth.sha256 ? { integritySha256Key: auth.key } : { integrityKey: auth.key };
  return encodeMessage({ method: m.method, class: cls, transactionId: m.transactionId, attributes }, { ...keyOption, fingerprint });
}

/** An error response with the RFC 8656 §19 reason phrase (and UNKNOWN-ATTRIBUTES for 420). */
export function encodeError(
  m: StunMessage,
  code: number,
  auth: Authenticated | undefined,
  extra: readonly AttributeSpec[] = [],
  unknown?: readonly number[],
): Uint8Array {
  const attributes: AttributeSpec[] = [errorCode(code, TurnErrorReasons[code] ?? 'Error'), ...extra];
  if (unknown !== undefined) attributes.push(unknownAttributes(unknown));
  return encodeResponse(m, 'error', attributes, auth);
}
