import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/** LIFETIME: seconds until the allocation expires, 32 bits. RFC 8656 §18.2 */
export function lifetime(seconds: number): AttributeSpec {
  const s = Math.max(0, Math.min(0xffffffff, Math.floor(seconds)));
  return {
    type: TurnAttributeType.Lifetime,
    value: Uint8Array.of(s >>> 24, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff),
  };
}

/** The LIFETIME of `m` in seconds; undefined when absent, 'malformed' when not 4 bytes. */
export function readLifetime(m: StunMessage): number | 'malformed' | undefined {
  const a = getAttribute(m, TurnAttributeType.Lifetime);
  if (a === undefined) return undefined;
  if (a.value.length !== 4) return 'malformed';
  const v = a.value;
  return ((v[0] ?? 0) * 0x1000000 + (((v[1] ?? 0) << 16) | ((v[2] ?? 0) << 8) | (v[3] ?? 0))) >>> 0;
}
