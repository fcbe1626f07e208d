/** The result of decoding untrusted bytes: decoding never throws. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The four message classes. RFC 8489 §5 */
export type StunClass = 'request' | 'indication' | 'success' | 'error';

/** One attribute as found on the wire. */
export interface RawAttribute {
  readonly type: number;
  /** A view into the decoded bytes (not a copy), without padding. */
  readonly value: Uint8Array;
  /** Offset of the attribute header within the message's `raw`. */
  readonly offset: number;
}

/** A decoded STUN message. All byte fields are views into the input. */
export interface StunMessage {
  readonly method: number;
  readonly class: StunClass;
  /**
   * The 12-byte transaction id. For an RFC 3489 message (no magic cookie) this is the last 12
   * bytes of its 16-byte id.
   */
  readonly transactionId: Uint8Array;
  /** The 16-byte RFC 3489 transaction id, when the magic cookie is absent. RFC 3489 §11.1 */
  readonly legacyTransactionId?: Uint8Array;
  /** True when the magic cookie is absent (an RFC 3489 peer). RFC 8489 §6 */
  readonly isRfc3489: boolean;
  /**
   * The attributes to act on, in order. RFC 8489 §14.5, §14.6: after MESSAGE-INTEGRITY only
   * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count, after MESSAGE-INTEGRITY-SHA256 only
   * FINGERPRINT; anything else there is in `ignored`, not here.
   */
  readonly attributes: readonly RawAttribute[];
  /** Attributes after an integrity attribute that RFC 8489 §14.5/§14.6 say to ignore. */
  readonly ignored: readonly RawAttribute[];
  /** Exactly the message's bytes: header plus the header's length field. */
  readonly raw: Uint8Array;
}
