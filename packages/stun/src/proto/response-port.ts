import { StunEncodeError } from '../errors.js';
import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType } from './constants.js';
import type { StunMessage } from './message.js';

/**
 * RESPONSE-PORT: send the response to this port (at the request's source IP). A 16-bit port
 * and 2 bytes of padding; any value 0-65535 (RFC 5780 §7.5, erratum 2844).
 */
export function responsePort(port: number): AttributeSpec {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new StunEncodeError(`RESPONSE-PORT out of range: ${port}`);
  }
  return { type: AttributeType.ResponsePort, value: Uint8Array.of(port >> 8, port & 0xff, 0, 0) };
}

/**
 * Decodes a RESPONSE-PORT value; undefined when malformed. Accepts the 4-byte form of
 * RFC 5780 §7.5 and a bare 2-byte port, which some implementations send.
 */
export function decodeResponsePort(value: Uint8Array): number | undefined {
  if (value.length !== 4 && value.length !== 2) return undefined;
  return ((value[0] ?? 0) << 8) | (value[1] ?? 0);
}

/** The RESPONSE-PORT of `m`; undefined when absent or malformed. RFC 5780 §7.5 */
export function readResponsePort(m: StunMessage): number | undefined {
  const a = getAttribute(m, AttributeType.ResponsePort);
  return a === undefined ? undefined : decodeResponsePort(a.value);
}
