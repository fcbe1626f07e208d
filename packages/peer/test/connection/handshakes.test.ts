/**
 * Handshakes stamps each Noise init with the injected wall clock (PeerComponents.wallClock), not
 * Date.now(): with a manual wall clock, the responder orders a peer's inits by it, and a replayed
 * init (or one stamped earlier) is refused as stale.
 */
import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { silentLogger } from '@natkit/net';
import type { Introduction } from '@natkit/rendezvous';
import { ManualClock } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import { HandshakeResponder, PacketType } from '../../src/index.js';
import { Handshakes } from '../../src/connection/handshakes.js';
import type { Route } from '../../src/connection/path.js';
import type { PeerConnection } from '../../src/connection/peer-connection.js';

const ROUTE: Route = { via: 'socket', to: { address: '127.0.0.1', port: 4000 } };

function introductionOf(peerId: string, n: number): Introduction {
  const nat = { ipv4: null, ipv6: null };
  return {
    type: 'introduce', requestId: `r${n}`, connectionId: `connection-${n}`.padEnd(22, 'x'), role: 'initiator',
    peer: { peerId, observed: ROUTE.to, nat, candidates: [] }, fireInMs: 0, rttMs: 0, peerRttMs: 0, receivedAt: 0, fireAt: 0,
  };
}

/** Alice's Handshakes over a manual monotonic clock and a manual wall clock; the inits it sends are kept. */
function initiator(identity: Identity, wall: { ms: number }): { handshakes: Handshakes; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  let id = 1;
  const handshakes = new Handshakes({
    identity, clock: new ManualClock(), wallClock: () => wall.ms, logger: silentLogger,
    send: (bytes) => {
      if (bytes[0] === PacketType.HandshakeInit) sent.push(Uint8Array.from(bytes));
    },
    allocateId: () => id++,
  });
  return { handshakes, sent };
}

const never = (): PeerConnection => {
  throw new Error('no response is fed back in this test');
};

describe('Handshakes: the Noise init timestamp comes from the injected wall clock', () => {
  it('a replay of an older init, and an init stamped earlier by the wall clock, are refused as stale', () => {
    const seed = randomBytes(32);
    const bob = Identity.fromSeed(randomBytes(32));
    const responder = new HandshakeResponder({ identity: bob, allocateId: (() => { let n = 100; return () => n++; })() });
    // A wall clock far behind the real one (2023-11-14): with Date.now() every init would be newer.
    const wall = { ms: 1_700_000_000_000 };
    const alice = initiator(Identity.fromSeed(seed), wall);
    alice.handshakes.start(introductionOf(bob.peerId, 1), ROUTE, [], 0, never);
    const first = alice.sent[0]!;
    expect(responder.handleInit(first, 0).ok).toBe(true);

    wall.ms += 60_000;
    alice.handshakes.start(introductionOf(bob.peerId, 2), ROUTE, [], 0, never);
    const second = alice.sent.find((p) => !Buffer.from(p).equals(first))!;
    expect(responder.handleInit(second, 1_000).ok).toBe(true);

    // The first init again, once the responder no longer keeps it as a retransmission (10 s).
    expect(responder.handleInit(first, 20_000)).toEqual({ ok: false, reason: 'stale-timestamp' });

    // Another process of Alice (same key) whose wall clock is one minute behind: refused too; the
    // real clock (Date.now(), years later) would have been accepted.
    const lagging = initiator(Identity.fromSeed(seed), { ms: 1_700_000_000_000 + 30_000 });
    lagging.handshakes.start(introductionOf(bob.peerId, 3), ROUTE, [], 0, never);
    expect(responder.handleInit(lagging.sent[0]!, 21_000)).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(responder.dropped['stale-timestamp']).toBe(2);

    // Once its wall clock passes the last accepted init, it gets in.
    const caughtUp = initiator(Identity.fromSeed(seed), { ms: wall.ms + 1 });
    caughtUp.handshakes.start(introductionOf(bob.peerId, 4), ROUTE, [], 0, never);
    expect(responder.handleInit(caughtUp.sent[0]!, 22_000).ok).toBe(true);
    for (const h of [alice, lagging, caughtUp]) h.handshakes.close();
  });
});
