/**
 * @packageDocumentation
 * Peer-to-peer connections. `session/`: end-to-end encrypted, authenticated datagram sessions
 * between two natkit identities (Noise IK, 25519 + ChaChaPoly + BLAKE2s, bound to the Ed25519
 * peer ids), as pure state machines: bytes in, bytes out, `now` passed in.
 *
 * @example
 * ```ts
 * import { Identity } from '@natkit/identity';
 * import { HandshakeInitiator, HandshakeResponder } from '@natkit/peer';
 * const alice = Identity.generate();
 * const bob = Identity.generate();
 * const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 1, timestamp: Date.now() });
 * const responder = new HandshakeResponder({ identity: bob, allocateId: () => 7 });
 * const accepted = responder.handleInit(initiator.packet, 0); // over the network, retried by the caller
 * if (!accepted.ok) throw new Error(accepted.reason);
 * const done = initiator.handleResponse(accepted.value.response, 0);
 * if (!done.ok) throw new Error(done.reason);
 * const packet = done.session.seal(new TextEncoder().encode('hello'), 0);
 * const opened = accepted.value.session.open(packet, 0);
 * if (opened.ok) console.log(new TextDecoder().decode(opened.payload)); // hello
 * ```
 */
export { PeerError } from './errors.js';
export * from './session/index.js';
export * from './connection/index.js';
