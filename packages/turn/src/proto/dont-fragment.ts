import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/** DONT-FRAGMENT: no value; asks the server to set DF on relayed packets. RFC 8656 §18.9 */
export function dontFragment(): AttributeSpec {
  return { type: TurnAttributeType.DontFragment, value: new Uint8Array(0) };
}

/** True when `m` carries DONT-FRAGMENT (its value, which should be empty, is ignored). */
export function hasDontFragment(m: StunMessage): boolean {
  return getAttribute(m, TurnAttributeType.DontFragment) !== undefined;
}
