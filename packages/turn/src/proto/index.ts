/**
 * The TURN wire additions to the STUN codec (RFC 8656 §17-§19, RFC 8489 §14.4/§14.11/§14.12):
 * methods, attributes, error codes and ChannelData. Synchronous, no I/O; decoding never throws.
 * Messages themselves are encoded and decoded with `encodeMessage` / `decodeMessage` of
 * `@natkit/stun`.
 */
export {
  CHANNEL_DATA_HEADER_LENGTH,
  FAMILY_IPV4,
  FAMILY_IPV6,
  MAX_CHANNEL_NUMBER,
  MIN_CHANNEL_NUMBER,
  RFC5766_MAX_CHANNEL_NUMBER,
  TRANSPORT_TCP,
  TRANSPORT_UDP,
  TurnAttributeType,
  TurnErrorCodes,
  TurnErrorReasons,
  TurnMethod,
  isValidChannelNumber,
} from './constants.js';
export type { XorAddressList } from './peer-address.js';
export {
  readXorPeerAddress,
  readXorPeerAddresses,
  readXorRelayedAddresses,
  xorPeerAddress,
  xorRelayedAddress,
} from './peer-address.js';
export { channelNumber, readChannelNumber } from './channel-number.js';
export { lifetime, readLifetime } from './lifetime.js';
export { data, readData } from './data.js';
export { readRequestedTransport, requestedTransport } from './requested-transport.js';
export type { FamilyValue } from './address-family.js';
export {
  LEGACY_ADDITIONAL_ADDRESS_FAMILY,
  additionalAddressFamily,
  readAdditionalAddressFamily,
  readRequestedAddressFamily,
  requestedAddressFamily,
} from './address-family.js';
export { addressErrorCode, readAddressErrorCode } from './address-error-code.js';
export { evenPort, readEvenPort } from './even-port.js';
export { RESERVATION_TOKEN_LENGTH, readReservationToken, reservationToken } from './reservation-token.js';
export { dontFragment, hasDontFragment } from './dont-fragment.js';
export type { ChannelData, ChannelDataOptions } from './channel-data.js';
export { MAX_CHANNEL_DATA_LENGTH, decodeChannelData, encodeChannelData, isChannelData } from './channel-data.js';
export type { AlgorithmEntry } from './password-algorithms.js';
export {
  PasswordAlgorithm,
  passwordAlgorithm,
  passwordAlgorithms,
  readPasswordAlgorithm,
  readPasswordAlgorithms,
  sameAlgorithms,
} from './password-algorithms.js';
export { USERHASH_LENGTH, computeUserhash, readUserhash, userhash } from './userhash.js';
