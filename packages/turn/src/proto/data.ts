import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/** DATA: the application data of a Send or Data indication. RFC 8656 §18.4 */
export function data(bytes: Uint8Array): AttributeSpec {
  return { type: TurnAttributeType.Data, value: bytes };
}

/** The DATA of `m` (a view into the message), or undefined when absent. */
export function readData(m: StunMessage): Uint8Array | undefined {
  return getAttribute(m, TurnAttributeType.Data)?.value;
}
