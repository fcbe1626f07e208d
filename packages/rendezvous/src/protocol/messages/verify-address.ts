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
 * to the server's UDP port of that family; the server sends a Binding indication with an
 * ADDRESS-PROOF to the source it saw, and once the peer returns it (`address-proof`) that source
 * becomes the peer's verified address of that family (`address-verified`).
 */
export const AddressTokenSchema = v.strictObject({
  type: v.literal('address-token'),
  requestId: RequestIdField,
  family: FamilyField,
  /** base64url of ADDRESS_TOKEN_BYTES random bytes. */
  token: v.pipe(v.string(), v.length(Math.ceil((ADDRESS_TOKEN_BYTES * 4) / 3)), v.regex(/^[A-Za-z0-9_-]+$/, 'token must be base64url')),
  expiresInMs: DurationMsField,
});

const Base64UrlBytes = v.pipe(v.string(), v.length(Math.ceil((ADDRESS_TOKEN_BYTES * 4) / 3)), v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));

/**
 * client → server (v2): the ADDRESS-PROOF bytes (base64url) of the Binding indication the server
 * sent to the address its token came from; the address is bound only then.
 */
export const AddressProofSchema = v.strictObject({
  type: v.literal('address-proof'),
  family: FamilyField,
  proof: Base64UrlBytes,
});

/** server → client (v2): the server saw the token come from `observed`, the proof came back, and it bound the address to this peer. */
export const AddressVerifiedSchema = v.strictObject({
  type: v.literal('address-verified'),
  family: FamilyField,
  observed: EndpointSchema,
});

export type VerifyAddress = v.InferOutput<typeof VerifyAddressSchema>;
export type AddressToken = v.InferOutput<typeof AddressTokenSchema>;
export type AddressVerified = v.InferOutput<typeof AddressVerifiedSchema>;
export type AddressProof = v.InferOutput<typeof AddressProofSchema>;
