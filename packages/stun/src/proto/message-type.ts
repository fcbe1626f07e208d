import type { StunClass } from './message.js';

const CLASS_BITS: Readonly<Record<StunClass, number>> = {
  request: 0b00,
  indication: 0b01,
  success: 0b10,
  error: 0b11,
};
const CLASSES: readonly StunClass[] = ['request', 'indication', 'success', 'error'];

/** Largest method number: 12 bits. RFC 8489 §5 */
export const MAX_METHOD = 0xfff;

/**
 * Interleaves method and class into the 14-bit message type
 * (M11..M7 C1 M6..M4 C0 M3..M0). RFC 8489 §5 Figure 3
 */
export function encodeMessageType(method: number, cls: StunClass): number {
  const c = CLASS_BITS[cls];
  return (
    (method & 0x000f) |
    ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) |
    ((c & 0b01) << 4) |
    ((c & 0b10) << 7)
  );
}

/** The method bits of a message type. RFC 8489 §5 */
export function methodOf(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
}

/** The class bits of a message type. RFC 8489 §5 */
export function classOf(type: number): StunClass {
  // The index is two bits, so it is always in range.
  return CLASSES[((type >> 4) & 0b01) | ((type >> 7) & 0b10)] ?? 'request';
}
