import { Identity } from '@natkit/identity';
import { HandshakeInitiator, HandshakeResponder, type Session, type SessionOptions } from '../../src/index.js';

export interface Pair {
  alice: Identity;
  bob: Identity;
  initiator: Session;
  responder: Session;
}

let nextId = 1;

/** Alice (initiator) and Bob (responder) after a real handshake, at time `now`. */
export function establish(options: { session?: SessionOptions; now?: number; alice?: Identity; bob?: Identity } = {}): Pair {
  const now = options.now ?? 0;
  const alice = options.alice ?? Identity.generate();
  const bob = options.bob ?? Identity.generate();
  const session = options.session === undefined ? {} : { session: options.session };
  const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: nextId++, timestamp: Date.now(), ...session });
  const responder = new HandshakeResponder({ identity: bob, allocateId: () => nextId++, ...session });
  const accepted = responder.handleInit(initiator.packet, now);
  if (!accepted.ok) throw new Error(`handshake init refused: ${accepted.reason}`);
  const done = initiator.handleResponse(accepted.value.response, now);
  if (!done.ok) throw new Error(`handshake response refused: ${done.reason}`);
  return { alice, bob, initiator: done.session, responder: accepted.value.session };
}
