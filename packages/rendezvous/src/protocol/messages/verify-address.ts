import * as v from 'valibot';
import { ADDRESS_TOKEN_BYTES } from '../address-token.js';
import { DurationMsField, EndpointSchema, RequestIdField } from '../fields.js';

/** An address family, as in PeerInfo.verified. */
export const FamilyField = v.picklist([4, 6]);

/**
 * client → server (v2), registered sessions only: asks for a token to prove a UDP address of
 * `family` (the family its WebSocket does not use). The answer is an `address-token` or an `error`.
 */
export const VerifyAddressSchema = v.strictObject({
  type: v.literal('verify-address'),
  requestId: RequestIdField,
  family: FamilyField,
});

/**
 * server → client (v2): a single-use token, valid for `expiresInMs`. The peer sends a STUN Binding
 * request carrying it (ADDRESS-TOKEN attribute, address-token.ts) from its UDP socket of `family`
 * to the server's UDP port of that family; the source the server sees becomes the peer's verified
 * address of that family (`address-verified`).
 */
export const AddressTokenSchema = v.strictObject({
  type: v.literal('address-token'),
  requestId: RequestIdField,
  family: FamilyField,
  /** base64url of ADDRESS_TOKEN_BYTES random bytes. */
  token: v.pipe(v.string(), v.length(Math.ceil((ADDRESS_TOKEN_BYTES * 4) / 3)), v.regex(/^[A-Za-z0-9_-]+$/, 'token must be base64url')),
  expiresInMs: DurationMsField,
});

/** server → client (v2): the server saw the token come from `observed` and bound it to this peer. */
export const AddressVerifiedSchema = v.strictObject({
  type: v.literal('address-verified'),
  family: FamilyField,
  observed: EndpointSchema,
});

export type VerifyAddress = v.InferOutput<typeof VerifyAddressSchema>;
export type AddressToken = v.InferOutput<typeof AddressTokenSchema>;
export type AddressVerified = v.InferOutput<typeof AddressVerifiedSchema>;
