import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/** Size of a RESERVATION-TOKEN. RFC 8656 §18.10 */
export const RESERVATION_TOKEN_LENGTH = 8;

/** RESERVATION-TOKEN: 8 opaque bytes naming a reserved relay port. RFC 8656 §18.10 */
export function reservationToken(token: Uint8Array): AttributeSpec {
  return { type: TurnAttributeType.ReservationToken, value: token };
}

/** The token of `m`; undefined when absent, 'malformed' when not 8 bytes. */
export function readReservationToken(m: StunMessage): Uint8Array | 'malformed' | undefined {
  const a = getAttribute(m, TurnAttributeType.ReservationToken);
  if (a === undefined) return undefined;
  return a.value.length === RESERVATION_TOKEN_LENGTH ? a.value : 'malformed';
}
