import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/** CHANNEL-NUMBER: a 16-bit channel number and 16 reserved bits (RFFU). RFC 8656 §18.1 */
export function channelNumber(n: number): AttributeSpec {
  return { type: TurnAttributeType.ChannelNumber, value: Uint8Array.of((n >> 8) & 0xff, n & 0xff, 0, 0) };
}

/**
 * The CHANNEL-NUMBER of `m` (any 16-bit value: range checks are the caller's); undefined when
 * absent, 'malformed' when the value is not 4 bytes.
 */
export function readChannelNumber(m: StunMessage): number | 'malformed' | undefined {
  const a = getAttribute(m, TurnAttributeType.ChannelNumber);
  if (a === undefined) return undefined;
  if (a.value.length !== 4) return 'malformed';
  return ((a.value[0] ?? 0) << 8) | (a.value[1] ?? 0);
}
