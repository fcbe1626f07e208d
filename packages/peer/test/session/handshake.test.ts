import { Identity } from '@natkit/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HANDSHAKE_INIT_LENGTH,
  HANDSHAKE_RESPONSE_LENGTH,
  HandshakeInitiator,
  HandshakeResponder,
  PeerError,
  readReceiverId,
} from '../../src/index.js';
import { encodeInitPayload, prologueFor } from '../../src/session/handshake-payload.js';
import { IkInitiator } from '../../src/session/handshake-ik.js';
import { dhKeyPairFromPrivate, generateDhKeyPair } from '../../src/session/noise-crypto.js';
import { encodeHandshakeHeader, PacketType } from '../../src/session/packet.js';
import { establish } from './pair.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const alice = Identity.generate();
const bob = Identity.generate();
const mallory = Identity.generate();

function responderFor(identity: Identity, firstId = 100): HandshakeResponder {
  let id = firstId;
  return new HandshakeResponder({ identity, allocateId: () => id++ });
}

describe('handshake: identities', () => {
  it('each side learns the peer id of the other, and the sizes are as documented', () => {
    const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 1, timestamp: 1000 });
    expect(initiator.packet).toHaveLength(HANDSHAKE_INIT_LENGTH);
    const accepted = responderFor(bob).handleInit(initiator.packet, 0);
    expect(accepted.ok && accepted.value.remotePeerId).toBe(alice.peerId);
    if (!accepted.ok) return;
    expect(accepted.value.response).toHaveLength(HANDSHAKE_RESPONSE_LENGTH);
    expect(readReceiverId(accepted.value.response)).toBe(1);
    const done = initiator.handleResponse(accepted.value.response, 0);
    expect(done.ok && done.session.remotePeerId).toBe(bob.peerId);
    if (!done.ok) return;
    expect(done.session.remoteId).toBe(accepted.value.session.localId);
    expect(accepted.value.session.remoteId).toBe(1);
    // key confirmation: the responder trusts the keys once the initiator's first packet arrives
    expect(accepted.value.session.confirmed).toBe(false);
    expect(accepted.value.session.open(done.session.seal(new Uint8Array(0), 0), 0).ok).toBe(true);
    expect(accepted.value.session.confirmed).toBe(true);
  });

  it('an init for someone else is refused: only the holder of the peer id key can answer', () => {
    const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 1, timestamp: 1000 });
    const theirs = responderFor(mallory);
    expect(theirs.handleInit(initiator.packet, 0)).toEqual({ ok: false, reason: 'auth' });
    expect(theirs.dropped.auth).toBe(1);
  });

  it('a MITM that swaps in its own response is detected; the real response still works after', () => {
    const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 1, timestamp: 2000 });
    // Mallory, in the middle (rendezvous or relay), gets Alice to run a real handshake with her
    // (same connection id) and splices that response into Alice's handshake with Bob.
    const decoy = new HandshakeInitiator({ identity: alice, remotePeerId: mallory.peerId, localId: 1, timestamp: 2001 });
    const malloryAnswer = responderFor(mallory).handleInit(decoy.packet, 0);
    expect(malloryAnswer.ok).toBe(true);
    if (!malloryAnswer.ok) return;
    expect(initiator.handleResponse(malloryAnswer.value.response, 0)).toEqual({ ok: false, reason: 'auth' });
    // A response built from scratch with Mallory's own ephemeral key fails the same way.
    const forged = Buffer.concat([encodeHandshakeHeader(PacketType.HandshakeResponse, 1), generateDhKeyPair().publicKey, new Uint8Array(20)]);
    expect(initiator.handleResponse(forged, 0)).toEqual({ ok: false, reason: 'auth' });
    const real = responderFor(bob).handleInit(initiator.packet, 0);
    expect(real.ok && initiator.handleResponse(real.value.response, 0).ok).toBe(true);
    expect(initiator.dropped.auth).toBe(2);
  });

  it('a MITM cannot claim another peer id: its static key must be the X25519 form of the claimed Ed25519 key', () => {
    const header = encodeHandshakeHeader(PacketType.HandshakeInit, 9);
    const noise = IkInitiator.write(
      { prologue: prologueFor(header), s: dhKeyPairFromPrivate(mallory.x25519PrivateKey()), e: generateDhKeyPair(), rs: bob.x25519PublicKey },
      encodeInitPayload(alice.publicKey, 5000), // "I am Alice"
    )!;
    const responder = responderFor(bob);
    expect(responder.handleInit(Buffer.concat([header, noise.message1]), 0)).toEqual({ ok: false, reason: 'identity-mismatch' });
  });

  it('refuses a remote peer id that does not decode', () => {
    expect(() => new HandshakeInitiator({ identity: alice, remotePeerId: 'nk1nope' as typeof bob.peerId, localId: 1, timestamp: 1 })).toThrow(PeerError);
    expect(() => new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: -1, timestamp: 1 })).toThrow(PeerError);
  });
});

describe('handshake: retransmissions and replays', () => {
  it('a retransmitted init gets the same response and session back', () => {
    const responder = responderFor(bob);
    const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 1, timestamp: 10_000 });
    const first = responder.handleInit(initiator.packet, 0);
    const again = responder.handleInit(initiator.packet, 500);
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.value.retransmit).toBe(true);
    expect(again.value.session).toBe(first.value.session);
    expect(again.value.response).toEqual(first.value.response);
  });

  it('a replayed init, or an older one, cannot displace a session', () => {
    const responder = responderFor(bob);
    const carol = Identity.generate();
    const older = new HandshakeInitiator({ identity: carol, remotePeerId: bob.peerId, localId: 1, timestamp: 20_000 });
    const newer = new HandshakeInitiator({ identity: carol, remotePeerId: bob.peerId, localId: 2, timestamp: 20_001 });
    expect(responder.handleInit(newer.packet, 0).ok).toBe(true);
    expect(responder.handleInit(older.packet, 1)).toEqual({ ok: false, reason: 'stale-timestamp' });
    // after the retransmission memory expires, the very same init is a replay
    expect(responder.handleInit(newer.packet, 60_000)).toEqual({ ok: false, reason: 'stale-timestamp' });
    // a new init from the real Alice is fine
    const fresh = new HandshakeInitiator({ identity: carol, remotePeerId: bob.peerId, localId: 3, timestamp: 20_002 });
    expect(responder.handleInit(fresh.packet, 60_001).ok).toBe(true);
  });

  it('two inits of one identity in the same millisecond are both accepted (timestamps strictly increase)', () => {
    const responder = responderFor(bob);
    const dave = Identity.generate();
    const first = new HandshakeInitiator({ identity: dave, remotePeerId: bob.peerId, localId: 1, timestamp: 40_000 });
    const second = new HandshakeInitiator({ identity: dave, remotePeerId: bob.peerId, localId: 2, timestamp: 40_000 });
    const clockWentBack = new HandshakeInitiator({ identity: dave, remotePeerId: bob.peerId, localId: 3, timestamp: 39_000 });
    expect(responder.handleInit(first.packet, 0).ok).toBe(true);
    expect(responder.handleInit(second.packet, 0).ok).toBe(true);
    expect(responder.handleInit(clockWentBack.packet, 0).ok).toBe(true);
  });

  it('hostile init and response bytes are dropped, never thrown', () => {
    const responder = responderFor(bob);
    const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 1, timestamp: 30_000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (junk, at, xor) => {
      expect(responder.handleInit(junk, 0).ok).toBe(false);
      expect(initiator.handleResponse(junk, 0).ok).toBe(false);
      const bad = Uint8Array.from(initiator.packet);
      bad[at % bad.length]! ^= xor;
      expect(responder.handleInit(bad, 0).ok).toBe(false);
    }), { numRuns: 300 });
    const zeroEphemeral = Uint8Array.from(initiator.packet);
    zeroEphemeral.fill(0, 8, 40); // a low-order X25519 point
    expect(responder.handleInit(zeroEphemeral, 0)).toEqual({ ok: false, reason: 'auth' });
    expect(responder.handleInit(initiator.packet, 0).ok).toBe(true);
  });
});

describe('a third key can neither read nor inject', () => {
  it('Mallory, with her own sessions to both, cannot open their packets or forge one', () => {
    const ab = establish({ alice, bob });
    const mb = establish({ alice: mallory, bob }); // Mallory's own, legitimate session with Bob
    const ma = establish({ alice: mallory, bob: alice });
    const secret = ab.initiator.seal(text('for Bob only'), 0);
    // read: rewrite the receiver id to her own session's, try every session key she holds
    for (const session of [mb.initiator, ma.initiator]) {
      const redirected = Uint8Array.from(secret);
      new DataView(redirected.buffer).setUint32(2, session.localId);
      expect(session.open(redirected, 0).ok).toBe(false);
    }
    // inject: seal with her key, address it to Alice's session at Bob
    const injected = Uint8Array.from(mb.initiator.seal(text('from Alice, honest'), 0));
    new DataView(injected.buffer).setUint32(2, ab.responder.localId);
    expect(ab.responder.open(injected, 0)).toEqual({ ok: false, reason: 'auth' });
    expect(ab.responder.open(secret, 0).ok).toBe(true);
  });
});
