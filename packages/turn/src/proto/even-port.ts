import { getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { TurnAttributeType } from './constants.js';

/**
 * EVEN-PORT: one byte whose top bit R asks the server to reserve the next-higher port too.
 * RFC 8656 §18.7. Sent as 1 byte (the attribute is padded to 4).
 */
export function evenPort(reserveNext: boolean): AttributeSpec {
  return { type: TurnAttributeType.EvenPort, value: Uint8Array.of(reserveNext ? 0x80 : 0) };
}

/** EVEN-PORT of `m`: its R bit; undefined when absent, 'malformed' when empty. */
export function readEvenPort(m: StunMessage): { reserveNext: boolean } | 'malformed' | undefined {
  const a = getAttribute(m, TurnAttributeType.EvenPort);
  if (a === undefined) return undefined;
  // RFC 8656 §18.7 defines 1 byte; coturn sends 1, some stacks send 4. Accept 1-4.
  if (a.value.length < 1 || a.value.length > 4) return 'malformed';
  return { reserveNext: ((a.value[0] ?? 0) & 0x80) !== 0 };
}
