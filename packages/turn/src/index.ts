/**
 * @packageDocumentation
 * TURN (RFC 8656): the wire additions to STUN, pure allocation state, a relay server and a
 * client whose relayed socket implements `UdpSocket`.
 */

// errors
export { TurnError } from './errors.js';

// proto: the TURN wire additions to the STUN codec
export * from './proto/index.js';
