/**
 * Peer.#onInit runs the responder before it can check the introduction (the peer id is inside
 * the Noise init). An init that reaches the responder before its `introduce` is dropped but
 * remembered by the HandshakeResponder; its retransmissions after the introduction are
 * "retransmits", and they must still open the connection on the responder (once).
 */
import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork } from '@natkit/net';
import { connectRendezvous } from '@natkit/rendezvous';
import { expect, it } from 'vitest';
import { createPeer, HandshakeInitiator, PacketType } from '../../src/index.js';
import { accepted, useNatkitServe } from './natkit-serve.js';

const network = createNodeNetwork();
const serve = useNatkitServe();

it('an init that arrives before the introduction, retransmitted after it, opens the connection on the responder', async () => {
  const server = serve.server;
  const aliceId = Identity.fromSeed(randomBytes(32));
  const bobId = Identity.fromSeed(randomBytes(32));
  const bob = await createPeer({ server, identity: bobId }, { network });
  const sock = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  const rendezvous = await connectRendezvous({ url: serve.rendezvousUrl, identity: aliceId, nat: { ipv4: null, ipv6: null }, candidates: [{ type: 'host', address: '127.0.0.1', port: sock.local.port }], timeoutMs: 5000 });
  try {
    const incoming = accepted(bob);
    let responses = 0;
    sock.onMessage((d) => d[0] === PacketType.HandshakeResponse && responses++);
    const init = new HandshakeInitiator({ identity: aliceId, remotePeerId: bobId.peerId, localId: 5, timestamp: Date.now() });
    const bobAt = { address: '127.0.0.1', port: bob.addresses.local.port };
    sock.send(init.packet, bobAt); // before any introduction: Bob drops it (but his responder remembers it)
    await new Promise((r) => setTimeout(r, 200));
    await rendezvous.connect(bobId.peerId);
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 4; i++) {
      sock.send(init.packet, bobAt); // the initiator's retransmission (same bytes)
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(responses, 'Bob answered the retransmitted init').toBeGreaterThan(0);
    const c = await Promise.race([incoming, new Promise<null>((ok) => setTimeout(() => ok(null), 2000))]);
    expect(c, 'Bob answered the handshake but opened no connection').not.toBeNull();
  } finally {
    await rendezvous.close();
    await bob.close();
    await sock.close();
  }
}, 20_000);
