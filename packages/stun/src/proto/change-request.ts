import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType } from './constants.js';
import type { StunMessage } from './message.js';

/** The "change IP" (A) and "change port" (B) flags of CHANGE-REQUEST. RFC 5780 §7.2 */
export const CHANGE_IP_FLAG = 0x04;
export const CHANGE_PORT_FLAG = 0x02;

export interface ChangeRequest {
  readonly changeIp: boolean;
  readonly changePort: boolean;
}

/** CHANGE-REQUEST: ask the server to answer from another IP and/or port. RFC 5780 §7.2 */
export function changeRequest(v: ChangeRequest): AttributeSpec {
  const flags = (v.changeIp ? CHANGE_IP_FLAG : 0) | (v.changePort ? CHANGE_PORT_FLAG : 0);
  return { type: AttributeType.ChangeRequest, value: Uint8Array.of(0, 0, 0, flags) };
}

/** Decodes a CHANGE-REQUEST value (32 bits, flags in the last byte); undefined when malformed. */
export function decodeChangeRequest(value: Uint8Array): ChangeRequest | undefined {
  if (value.length !== 4) return undefined;
  const flags = value[3] ?? 0;
  return { changeIp: (flags & CHANGE_IP_FLAG) !== 0, changePort: (flags & CHANGE_PORT_FLAG) !== 0 };
}

/** The CHANGE-REQUEST of `m`; undefined when absent or malformed. RFC 5780 §7.2 */
export function readChangeRequest(m: StunMessage): ChangeRequest | undefined {
  const a = getAttribute(m, AttributeType.ChangeRequest);
  return a === undefined ? undefined : decodeChangeRequest(a.value);
}
