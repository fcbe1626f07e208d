/**
 * @packageDocumentation
 * TURN (RFC 8656): the wire additions to STUN, pure allocation state, a relay server and a
 * client whose relayed socket implements `UdpSocket`.
 */

// errors
export { TurnError } from './errors.js';

// proto: the TURN wire additions to the STUN codec
export * from './proto/index.js';

// client: allocations with automatic refresh, and a relayed socket that implements UdpSocket
export {
  allocateRelay,
  DEFAULT_TURN_POLICY,
  type AllocateComponents,
  type AllocateOptions,
  type TurnAllocation,
  type TurnTransport,
} from './client/allocate-relay.js';
export { RelayedSocket, type RelayedSocketInit } from './client/relayed-socket.js';
export { TurnSession, type TurnSessionOptions } from './client/turn-session.js';
export { ClientAllocationState, type RefreshAction } from './client/client-allocation-state.js';
export { ClientAuthState, type ChallengeFailure, type ChallengeOutcome, type LongTermCredentials } from './client/client-auth-state.js';
export { readNonceFeatures, type NonceFeatures } from './client/nonce-features.js';
export { restCredentials, type RestCredentialOptions } from './client/rest-credentials.js';
export { restPassword } from './auth/rest-credentials.js';
export { turnUrl, type TurnUrlOptions } from './client/turn-url.js';
export { TurnClientError, type TurnClientErrorCode } from './client/turn-client-error.js';

// streams: TURN over TCP/TLS (RFC 8656 §12.5 framing) and the one-port TCP listener (first-bytes routing)
export {
  isChannelDataFirstByte,
  MAX_STREAM_FRAME_LENGTH,
  padChannelDataForStream,
  StreamDeframer,
  type DeframeResult,
  type StreamDeframerOptions,
  type TurnStreamFrame,
} from './proto/stream-framing.js';
export { classifyFirstBytes, type FirstBytesKind } from './listener/first-bytes.js';
export { createPortMux, type ConnectionRoutes, type PortMux, type PortMuxComponents, type PortMuxOptions, type PortMuxStats } from './listener/port-mux.js';
export { createTurnStreamRoute, type TurnStreamRoute, type TurnStreamRouteOptions, type TurnStreamStats } from './listener/turn-stream-route.js';
export type { ClientContext, ClientTransport, TurnClientHandler } from './server/client-transport.js';
export { checkRelay, type RelayCheckOptions, type RelayCheckReport } from './client/check-relay.js';
export type { Support } from './client/probe-support.js';

// server: the TURN relay core (UDP sockets attached at run time; TCP/TLS through TurnClientHandler)
export { createTurnServer, type TurnAuthMode, type TurnServer } from './server/turn-server.js';
export type { AllocateRedirect } from './server/allocate-redirect.js';
export {
  DEFAULT_QUOTAS,
  DEFAULT_REALM,
  DEFAULT_RELAY_PORTS,
  type TurnQuotas,
  type TurnServerComponents,
  type TurnServerOptions,
} from './server/server-options.js';
export type { TurnDropReason, TurnServerStats } from './server/server-stats.js';
export type { ChannelOffloadStatus, FastPathStats } from './server/channel-offload.js';
export { OFFLOAD_MARGIN_MS } from './server/channel-offload.js';
export { mintRestCredentials, type RestCredentials } from './auth/rest-credentials.js';
export type { IssuedName } from './auth/credential-store.js';
export { PeerFilter, type PeerFilterOptions, type PeerVerdict } from './allocation/peer-filter.js';
export { parseCidr, type Cidr } from './allocation/cidr.js';
