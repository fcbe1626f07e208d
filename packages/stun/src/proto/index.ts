/**
 * The STUN wire codec (RFC 8489, RFC 5780, RFC 3489 attributes for parsing): bytes in, typed
 * values out, and back. Synchronous, no I/O, no logging. Decoding never throws.
 */
export type { DecodeResult, RawAttribute, StunClass, StunMessage } from './message.js';
export {
  AttributeType,
  HEADER_LENGTH,
  MAGIC_COOKIE,
  MAX_MESSAGE_LENGTH,
  StunMethod,
  isComprehensionRequired,
} from './constants.js';
export type { DecodeOptions, IsStunMessageOptions } from './decode-message.js';
export { decodeMessage, isStunMessage } from './decode-message.js';
export type { EncodeOptions, MessageSpec } from './encode-message.js';
export { encodeMessage } from './encode-message.js';
export type { PacketKind } from './classify-packet.js';
export { classifyPacket } from './classify-packet.js';
export { createTransactionId, transactionKey } from './transaction-id.js';
export type { AttributeSpec } from './attribute.js';
export { getAttribute, unknownComprehensionRequired } from './attribute.js';
export { formatIp, parseIp } from './ip-address.js';
export { decodeAddressValue, encodeAddressValue } from './address.js';
export { readXorMappedAddress, xorMappedAddress } from './xor-mapped-address.js';
export {
  alternateServer,
  changedAddress,
  mappedAddress,
  otherAddress,
  readAlternateServer,
  readChangedAddress,
  readMappedAddress,
  readOtherAddress,
  readResponseAddress,
  readResponseOrigin,
  readSourceAddress,
  responseAddress,
  responseOrigin,
  sourceAddress,
} from './address-attributes.js';
export type { ChangeRequest } from './change-request.js';
export { changeRequest, readChangeRequest } from './change-request.js';
export { readResponsePort, responsePort } from './response-port.js';
export { MAX_PADDING_LENGTH, padding, readPaddingLength } from './padding.js';
export { ErrorCodes, errorCode, legacyErrorCode, readErrorCode } from './error-code.js';
export {
  nonce,
  readNonce,
  readRealm,
  readSoftware,
  readUsername,
  realm,
  software,
  username,
} from './text-attributes.js';
export { legacyUnknownAttributes, readUnknownAttributes, unknownAttributes } from './unknown-attributes.js';
export { computeFingerprint, verifyFingerprint } from './fingerprint.js';
export { verifyMessageIntegrity, verifyMessageIntegritySha256 } from './message-integrity.js';
export { longTermKey, saslPrep } from './long-term-key.js';
