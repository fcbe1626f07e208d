import * as v from 'valibot';
import { PEER_ID_PATTERN } from '@natkit/identity';
import { CHALLENGE_BYTES, MAX_NONCE_LENGTH, MAX_PEER_ID_LENGTH, MAX_REQUEST_ID_LENGTH, MAX_SIGNATURE_LENGTH, MAX_TEXT_LENGTH } from './limits.js';

/** RFC 4648 §5 base64url without padding. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** RFC 3986 §2.3 unreserved characters: what a URL-safe peer id may contain. */
const UNRESERVED = /^[A-Za-z0-9._~-]+$/;

/**
 * A peer id in its text form (`nk1` + 55 base32 characters, @natkit/identity); whether its
 * checksum and key are valid is decodePeerId's call (refusal `invalid-peer-id`).
 */
export const PeerIdField = v.pipe(v.string(), v.maxLength(MAX_PEER_ID_LENGTH), v.regex(PEER_ID_PATTERN, 'not a peer id (nk1 followed by 55 base32 characters)'));

/** A client-chosen id that ties answers and errors to a request. */
export const RequestIdField = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_REQUEST_ID_LENGTH), v.regex(UNRESERVED, 'request id must be URL-safe text'));

/** base64url of exactly CHALLENGE_BYTES bytes. */
export const ChallengeField = v.pipe(v.string(), v.length(Math.ceil((CHALLENGE_BYTES * 4) / 3)), v.regex(BASE64URL, 'challenge must be base64url'));

/** base64url signature text. */
export const SignatureField = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SIGNATURE_LENGTH), v.regex(BASE64URL, 'signature must be base64url'));

/** A ping/pong nonce. */
export const NonceField = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NONCE_LENGTH), v.regex(UNRESERVED, 'nonce must be URL-safe text'));

/** Bounded free text. */
export const TextField = v.pipe(v.string(), v.maxLength(MAX_TEXT_LENGTH));

/** An IP literal (no host names: the server never resolves what a peer claims). */
export const IpField = v.pipe(v.string(), v.maxLength(45), v.ip('address must be an IPv4 or IPv6 literal'));

export const PortField = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65_535));

/** Milliseconds, a non-negative integer below a day. */
export const DurationMsField = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400_000));

/** An address and port, as the server observed it or a peer announced it. */
export const EndpointSchema = v.strictObject({ address: IpField, port: PortField });
export type WireEndpoint = v.InferOutput<typeof EndpointSchema>;
