/** Fixed value of the header's magic cookie field. RFC 8489 §5 */
export const MAGIC_COOKIE = 0x2112a442;

/** Size of the STUN header: type, length, cookie, transaction id. RFC 8489 §5 */
export const HEADER_LENGTH = 20;

/** Size of a transaction id with the magic cookie. RFC 8489 §5 */
export const TRANSACTION_ID_LENGTH = 12;

/** Size of an RFC 3489 transaction id (no magic cookie). RFC 3489 §11.1 */
export const LEGACY_TRANSACTION_ID_LENGTH = 16;

/** Size of an attribute's type and length fields. RFC 8489 §14 */
export const ATTRIBUTE_HEADER_LENGTH = 4;

/** Value XORed into the CRC-32 of FINGERPRINT ("STUN"). RFC 8489 §14.7 */
export const FINGERPRINT_XOR = 0x5354554e;

/** Size of the HMAC-SHA1 value of MESSAGE-INTEGRITY. RFC 8489 §14.5 */
export const MESSAGE_INTEGRITY_LENGTH = 20;

/** Full and minimum (truncated) HMAC-SHA256 sizes of MESSAGE-INTEGRITY-SHA256. RFC 8489 §14.6 */
export const MESSAGE_INTEGRITY_SHA256_LENGTH = 32;
export const MESSAGE_INTEGRITY_SHA256_MIN_LENGTH = 16;

/**
 * Largest STUN message we build: the most a UDP datagram can carry over IPv4 (65,535 minus the
 * 20-byte IPv4 and 8-byte UDP headers), so that the IP datagram stays within 64 KiB on either
 * family (RFC 5780 §7.6; RFC 791, RFC 768). Anything longer fails to send (EMSGSIZE).
 */
export const MAX_MESSAGE_LENGTH = 65_507;

/** Types at or above this value are comprehension-optional. RFC 8489 §14 */
export const COMPREHENSION_OPTIONAL_MIN = 0x8000;

/** Default cap on the number of attributes decoded from one message (a local limit). */
export const DEFAULT_MAX_ATTRIBUTES = 64;

/** STUN methods. RFC 8489 §18.2 (TURN methods, RFC 8656 §17, come later). */
export const StunMethod = {
  /** RFC 8489 §18.2 */
  Binding: 0x001,
} as const;

/** Attribute types. */
export const AttributeType = {
  /** RFC 8489 §14.1 */
  MappedAddress: 0x0001,
  /** RFC 3489 §11.2.2 (deprecated; parsed only) */
  ResponseAddress: 0x0002,
  /** RFC 5780 §7.2 (first defined in RFC 3489 §11.2.4) */
  ChangeRequest: 0x0003,
  /** RFC 3489 §11.2.5 (deprecated; parsed, and sent to RFC 3489 clients) */
  SourceAddress: 0x0004,
  /** RFC 3489 §11.2.3 (deprecated; parsed, and sent to RFC 3489 clients) */
  ChangedAddress: 0x0005,
  /** RFC 8489 §14.3 */
  Username: 0x0006,
  /** RFC 8489 §14.5 */
  MessageIntegrity: 0x0008,
  /** RFC 8489 §14.8 */
  ErrorCode: 0x0009,
  /** RFC 8489 §14.13 */
  UnknownAttributes: 0x000a,
  /** RFC 8489 §14.9 */
  Realm: 0x0014,
  /** RFC 8489 §14.10 */
  Nonce: 0x0015,
  /** RFC 8489 §14.6 */
  MessageIntegritySha256: 0x001c,
  /** RFC 8489 §14.12 */
  PasswordAlgorithm: 0x001d,
  /** RFC 8489 §14.4 */
  Userhash: 0x001e,
  /** RFC 8489 §14.2 */
  XorMappedAddress: 0x0020,
  /** RFC 5780 §7.6 */
  Padding: 0x0026,
  /** RFC 5780 §7.5 */
  ResponsePort: 0x0027,
  /** RFC 8489 §14.11 */
  PasswordAlgorithms: 0x8002,
  /** RFC 8489 §14.16 */
  AlternateDomain: 0x8003,
  /** RFC 8489 §14.14 */
  Software: 0x8022,
  /** RFC 8489 §14.15 */
  AlternateServer: 0x8023,
  /** RFC 8489 §14.7 */
  Fingerprint: 0x8028,
  /** RFC 5780 §7.3 */
  ResponseOrigin: 0x802b,
  /** RFC 5780 §7.4 */
  OtherAddress: 0x802c,
} as const;

/** True for comprehension-required types (0x0000-0x7FFF). RFC 8489 §14 */
export function isComprehensionRequired(type: number): boolean {
  return type < COMPREHENSION_OPTIONAL_MIN;
}

/** Rounds an attribute value length up to the 32-bit boundary. RFC 8489 §14 */
export function padded(length: number): number {
  return (length + 3) & ~3;
}
