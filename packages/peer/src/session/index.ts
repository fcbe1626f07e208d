export { PROTOCOL_NAME } from './handshake-ik.js';
export type { DhKeyPair } from './noise-crypto.js';
export {
  HandshakeInitiator,
  type HandshakeInitiatorOptions,
  type InitiatorDropReason,
  type InitiatorResult,
} from './handshake-initiator.js';
export {
  HandshakeResponder,
  type AcceptedHandshake,
  type HandshakeResponderOptions,
  type ResponderDropReason,
  type ResponderResult,
} from './handshake-responder.js';
export {
  HANDSHAKE_INIT_LENGTH,
  HANDSHAKE_RESPONSE_LENGTH,
  isSessionPacket,
  MAX_PAYLOAD_LENGTH,
  PacketType,
  readReceiverId,
  SESSION_VERSION,
  TRANSPORT_OVERHEAD,
  type ConnectionId,
} from './packet.js';
export { REPLAY_WINDOW_SIZE } from './replay-window.js';
export { MAX_EPOCH_SKIP } from './transport-keys.js';
export {
  Session,
  type DropReason,
  type OpenResult,
  type SessionOptions,
  type SessionStats,
  type SessionParameters,
} from './session.js';
