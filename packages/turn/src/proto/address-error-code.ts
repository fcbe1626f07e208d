import type { Family } from '@natkit/net';
import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { FAMILY_IPV4, FAMILY_IPV6, TurnAttributeType } from './constants.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * ADDRESS-ERROR-CODE: the family that failed in a dual allocation, then the ERROR-CODE format
 * (class, number, reason). RFC 8656 §18.12
 */
export function addressErrorCode(family: Family, code: number, reason: string): AttributeSpec {
  const text = encoder.encode(reason.slice(0, 127));
  const value = new Uint8Array(4 + text.length);
  value[0] = family === 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  value[2] = Math.floor(code / 100) & 0x07;
  value[3] = code % 100;
  value.set(text, 4);
  return { type: TurnAttributeType.AddressErrorCode, value };
}

/** The ADDRESS-ERROR-CODE of `m`; undefined when absent or malformed. */
export function readAddressErrorCode(m: StunMessage): { family: Family; code: number; reason: string } | undefined {
  const a = getAttribute(m, TurnAttributeType.AddressErrorCode);
  if (a === undefined || a.value.length < 4) return undefined;
  const f = a.value[0];
  const family = f === FAMILY_IPV4 ? 4 : f === FAMILY_IPV6 ? 6 : undefined;
  const cls = (a.value[2] ?? 0) & 0x07;
  const number = a.value[3] ?? 0;
  if (family === undefined || cls < 3 || cls > 6 || number > 99) return undefined;
  return { family, code: cls * 100 + number, reason: decoder.decode(a.value.subarray(4)) };
}
