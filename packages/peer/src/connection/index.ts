export { createPeer, Peer, type PeerComponents, type PeerOptions } from './peer.js';
export { PeerConnection, type ConnectionTiming } from './peer-connection.js';
export type { ConnectionEventMap, ConnectionStats } from './connection-events.js';
export type { ConnectionPath, Route } from './path.js';
export { simultaneousOpen, type DirectAttempt, type DirectPathFinder, type SimultaneousOpenOptions } from './direct-path-finder.js';
export type { RelayMode } from './relay-setup.js';
export { decodeControl, encodeControl, MessageType, type ControlMessage } from './control-message.js';
