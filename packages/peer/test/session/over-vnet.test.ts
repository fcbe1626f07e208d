import type { Endpoint, UdpSocket } from '@natkit/net';
import { Identity } from '@natkit/identity';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import { HandshakeInitiator, HandshakeResponder, PacketType, type Session } from '../../src/index.js';

const LINK = { latencyMs: 20, jitterMs: 15, loss: 0.1, duplicate: 0.05, reorder: 0.2, reorderDelayMs: 60 };
const COUNT = 1000;

describe('a session over a lossy, reordering, duplicating virtual network', () => {
  it('handshakes through a lost response by retransmitting the init, then every datagram that arrives opens exactly once', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock, seed: 7 });
    try {
      const aliceHost = vnet.createHost(vnet.internet, { link: LINK, ipv6: false });
      const bobHost = vnet.createHost(vnet.internet, { link: LINK, ipv6: false });
      const a = await aliceHost.network.bindUdp({ family: 4, address: aliceHost.addresses[0]!, port: 4000 });
      const b = await bobHost.network.bindUdp({ family: 4, address: bobHost.addresses[0]!, port: 5000 });
      const alice = Identity.generate();
      const bob = Identity.generate();

      // Bob: answers every init (the responder dedupes retransmissions), opens transport packets.
      const responder = new HandshakeResponder({ identity: bob, allocateId: () => 42 });
      let bobSession: Session | undefined;
      let deliveries = 0;
      const inits: boolean[] = [];
      const counters = new Set<number>();
      b.onMessage((data, from) => {
        if (data[0] === PacketType.HandshakeInit) {
          const r = responder.handleInit(data, clock.now());
          if (r.ok) {
            inits.push(r.value.retransmit);
            bobSession = r.value.session;
            // the first response is lost on the way back: Alice must retransmit her init
            if (inits.length > 1) b.send(r.value.response, from);
          }
        } else if (data[0] === PacketType.Transport && bobSession !== undefined) {
          deliveries++;
          const opened = bobSession.open(data, clock.now());
          if (opened.ok) {
            expect(counters.has(opened.counter)).toBe(false);
            counters.add(opened.counter);
            expect(new DataView(opened.payload.buffer, opened.payload.byteOffset).getUint32(0)).toBe(opened.counter);
          }
        }
      });

      const session = await handshake(a, b.local, alice, bob, clock);
      expect(responder.dropped).toEqual({ malformed: 0, auth: 0, 'identity-mismatch': 0, 'stale-timestamp': 0 });
      expect(inits.length).toBeGreaterThanOrEqual(2);
      expect(inits.slice(1).every((retransmit) => retransmit)).toBe(true); // the same session, answered again

      for (let i = 0; i < COUNT; i++) {
        const payload = new Uint8Array(200);
        new DataView(payload.buffer).setUint32(0, i);
        a.send(session.seal(payload, clock.now()), b.local);
        await clock.advance(1);
      }
      await clock.advance(1000);

      const stats = bobSession!.stats;
      expect(stats.received).toBe(counters.size);
      expect(stats.received).toBeGreaterThan(COUNT * 0.7); // two lossy links: about 81 % arrive
      expect(stats.received).toBeLessThan(COUNT);
      // every delivery either opened once or was a duplicate: nothing failed authentication
      expect(stats.received + stats.dropped.replay).toBe(deliveries);
      expect(stats.dropped.replay).toBeGreaterThan(0);
      expect(stats.dropped).toMatchObject({ auth: 0, epoch: 0, 'too-old': 0, malformed: 0 });
      expect(bobSession!.receiveEpoch).toBe(session.sendEpoch);
      expect(session.sendEpoch).toBe(3); // rekeyed every 300 messages along the way
    } finally {
      await vnet.close();
    }
  });
});

/** Sends the init every 200 ms of virtual time (at most 25 times) until a response completes it. */
async function handshake(socket: UdpSocket, to: Endpoint, alice: Identity, bob: Identity, clock: ManualClock): Promise<Session> {
  const initiator = new HandshakeInitiator({
    identity: alice,
    remotePeerId: bob.peerId,
    localId: 9,
    timestamp: Date.now(),
    session: { rekeyAfterMessages: 300 }, // epochs of 300 ms: longer than any reordering here (one previous key is kept)
  });
  let session: Session | undefined;
  const off = socket.onMessage((data) => {
    const r = initiator.handleResponse(data, clock.now());
    if (r.ok) session = r.session;
  });
  for (let attempt = 0; attempt < 25 && session === undefined; attempt++) {
    socket.send(initiator.packet, to);
    await clock.advance(200);
  }
  off();
  if (session === undefined) throw new Error('no handshake after 25 attempts');
  return session;
}
