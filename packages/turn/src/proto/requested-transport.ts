import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/** REQUESTED-TRANSPORT: an IP protocol number and 3 reserved bytes (RFFU). RFC 8656 §18.8 */
export function requestedTransport(protocol: number): AttributeSpec {
  return { type: TurnAttributeType.RequestedTransport, value: Uint8Array.of(protocol & 0xff, 0, 0, 0) };
}

/** The protocol number of REQUESTED-TRANSPORT; undefined when absent, 'malformed' when not 4 bytes. */
export function readRequestedTransport(m: StunMessage): number | 'malformed' | undefined {
  const a = getAttribute(m, TurnAttributeType.RequestedTransport);
  if (a === undefined) return undefined;
  return a.value.length === 4 ? (a.value[0] ?? 0) : 'malformed';
}
