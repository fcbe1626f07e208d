/**
 * Size limits of the wire format. A message over `MAX_MESSAGE_BYTES` is refused with `too-big`
 * and the connection stays open; a WebSocket frame over `HARD_MAX_PAYLOAD_BYTES` makes the
 * WebSocket layer close the connection (close code 1009, RFC 6455 §7.4.1) before it is read.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024;
export const HARD_MAX_PAYLOAD_BYTES = 64 * 1024;

/** Candidates one peer may announce (host, server-reflexive, predicted, relayed together). */
export const MAX_CANDIDATES = 32;
/** Verified UDP addresses of one peer (one per family). */
export const MAX_VERIFIED_ADDRESSES = 2;
/** Longest peer id text. Peer ids are URL-safe (base64url alphabet, see identity). */
export const MAX_PEER_ID_LENGTH = 128;
/** Longest client-chosen request id. */
export const MAX_REQUEST_ID_LENGTH = 64;
/** Longest free-text field (an error message, a relay URL). */
export const MAX_TEXT_LENGTH = 512;
/** Relay URLs handed out in `registered`. */
export const MAX_RELAY_URLS = 8;
/** Bytes of a server challenge (before base64url). */
export const CHALLENGE_BYTES = 32;
/** Longest signature text: 64-byte Ed25519 signatures are 86 base64url characters. */
export const MAX_SIGNATURE_LENGTH = 128;
/** Longest ping nonce text. */
export const MAX_NONCE_LENGTH = 32;
