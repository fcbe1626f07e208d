export { createPeer, Peer, type PeerComponents, type PeerOptions } from './peer.js';
export { PeerConnection, type ConnectionInit, type ConnectionTiming, type ConnectionTransport } from './peer-connection.js';
export type { ConnectionClosed, ConnectionEventMap, ConnectionStats, Handler as ConnectionEventHandler } from './connection-events.js';
export { checkIntervalMs, DEFAULT_KEEPALIVE_MS, keepaliveIntervalMs, mappingLifetimeOf, resolveConnectionTiming, type ConnectionTimingOptions } from './connection-timing.js';
export { ConsentFreshness, type ConsentVerdict } from './consent-freshness.js';
export type { ConnectionPath, Route } from './path.js';
export { simultaneousOpen, type DirectAttempt, type DirectPathFinder, type SimultaneousOpenOptions } from './direct-path-finder.js';
export { relayRouteFor, type RelayMode, type RelaySetup } from './relay-setup.js';
export { decodeControl, encodeControl, MessageType, type ControlMessage } from './control-message.js';
