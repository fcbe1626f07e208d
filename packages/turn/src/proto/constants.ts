/** TURN methods. RFC 8656 §17; RFC 6062 §6.1 for the TCP-allocation methods. */
export const TurnMethod = {
  /** RFC 8656 §7 */
  Allocate: 0x003,
  /** RFC 8656 §8 */
  Refresh: 0x004,
  /** RFC 8656 §11.1 (indication only) */
  Send: 0x006,
  /** RFC 8656 §11.3 (indication only) */
  Data: 0x007,
  /** RFC 8656 §10 */
  CreatePermission: 0x008,
  /** RFC 8656 §12.1 */
  ChannelBind: 0x009,
  /** RFC 6062 §4.3 */
  Connect: 0x00a,
  /** RFC 6062 §4.4 */
  ConnectionBind: 0x00b,
  /** RFC 6062 §4.5 */
  ConnectionAttempt: 0x00c,
} as const;

/** TURN attribute types. RFC 8656 §18; RFC 6062 §6.2 */
export const TurnAttributeType = {
  /** RFC 8656 §18.1 */
  ChannelNumber: 0x000c,
  /** RFC 8656 §18.2 */
  Lifetime: 0x000d,
  /** RFC 8656 §18.3 */
  XorPeerAddress: 0x0012,
  /** RFC 8656 §18.4 */
  Data: 0x0013,
  /** RFC 8656 §18.5 */
  XorRelayedAddress: 0x0016,
  /** RFC 8656 §18.6 */
  RequestedAddressFamily: 0x0017,
  /** RFC 8656 §18.7 */
  EvenPort: 0x0018,
  /** RFC 8656 §18.8 */
  RequestedTransport: 0x0019,
  /** RFC 8656 §18.9 */
  DontFragment: 0x001a,
  /** RFC 8656 §18.10 */
  ReservationToken: 0x0022,
  /** RFC 6062 §6.2.1 */
  ConnectionId: 0x002a,
  /** RFC 8656 §18.11 */
  AdditionalAddressFamily: 0x8000,
  /** RFC 8656 §18.12 */
  AddressErrorCode: 0x8001,
  /** RFC 8656 §18.13 */
  Icmp: 0x8004,
} as const;

/** TURN error codes (with the STUN ones TURN uses). RFC 8656 §19, RFC 8489 §14.8 */
export const TurnErrorCodes = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthorized: 401,
  /** RFC 8656 §19 */
  Forbidden: 403,
  UnknownAttribute: 420,
  /** RFC 8656 §19 */
  AllocationMismatch: 437,
  StaleNonce: 438,
  /** RFC 8656 §19 */
  AddressFamilyNotSupported: 440,
  /** RFC 8656 §19 */
  WrongCredentials: 441,
  /** RFC 8656 §19 */
  UnsupportedTransportProtocol: 442,
  /** RFC 8656 §19 */
  PeerAddressFamilyMismatch: 443,
  /** RFC 8656 §19 */
  AllocationQuotaReached: 486,
  ServerError: 500,
  /** RFC 8656 §19 */
  InsufficientCapacity: 508,
} as const;

/** The reason phrases sent with each TURN error code (RFC 8656 §19). */
export const TurnErrorReasons: Readonly<Record<number, string>> = {
  300: 'Try Alternate',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  420: 'Unknown Attribute',
  437: 'Allocation Mismatch',
  438: 'Stale Nonce',
  440: 'Address Family not Supported',
  441: 'Wrong Credentials',
  442: 'Unsupported Transport Protocol',
  443: 'Peer Address Family Mismatch',
  486: 'Allocation Quota Reached',
  500: 'Server Error',
  508: 'Insufficient Capacity',
};

/** Channel numbers a client may bind. RFC 8656 §12 (RFC 5766 allowed up to 0x7FFF). */
export const MIN_CHANNEL_NUMBER = 0x4000;
export const MAX_CHANNEL_NUMBER = 0x4fff;
/** The upper end of RFC 5766's channel range (RFC 5766 §11), used by older clients (coturn 4.6 uclient). */
export const RFC5766_MAX_CHANNEL_NUMBER = 0x7fff;

/** REQUESTED-TRANSPORT protocol number of UDP (IANA). RFC 8656 §18.8 */
export const TRANSPORT_UDP = 17;
/** REQUESTED-TRANSPORT protocol number of TCP (IANA). RFC 6062 §4.1 */
export const TRANSPORT_TCP = 6;

/** Family codes of REQUESTED- and ADDITIONAL-ADDRESS-FAMILY. RFC 8656 §18.6 */
export const FAMILY_IPV4 = 0x01;
export const FAMILY_IPV6 = 0x02;

/** Size of the ChannelData header: channel number and length. RFC 8656 §12.4 */
export const CHANNEL_DATA_HEADER_LENGTH = 4;

/** True for a channel number a client may bind. RFC 8656 §12 */
export function isValidChannelNumber(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_CHANNEL_NUMBER && n <= MAX_CHANNEL_NUMBER;
}
