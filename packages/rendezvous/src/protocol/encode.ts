import type { ClientMessage } from './client-message.js';
import type { Introduce, PeerInfo } from './messages/introduce.js';
import type { ServerMessage } from './server-message.js';

/** The text frame of a message. Values are typed, so the result always decodes. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}

/** The text of a PeerInfo, to be encoded once and sent in many introductions. */
export function encodePeerInfo(info: PeerInfo): string {
  return JSON.stringify({ peerId: info.peerId, observed: info.observed, nat: info.nat, candidates: info.candidates, ...(info.verified === undefined || info.verified.length === 0 ? {} : { verified: info.verified }) });
}

/**
 * The text of an `introduce` around a PeerInfo already encoded by encodePeerInfo: the same
 * message as encodeMessage gives, without encoding the peer again for every introduction.
 */
export function encodeIntroduce(message: Omit<Introduce, 'type' | 'peer'>, peerInfo: string): string {
  return (
    `{"type":"introduce","requestId":${JSON.stringify(message.requestId)},"connectionId":${JSON.stringify(message.connectionId)},` +
    `"role":${JSON.stringify(message.role)},"peer":${peerInfo},"fireInMs":${JSON.stringify(message.fireInMs)},` +
    `"rttMs":${JSON.stringify(message.rttMs)},"peerRttMs":${JSON.stringify(message.peerRttMs)}}`
  );
}
