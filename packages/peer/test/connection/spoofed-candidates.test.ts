/**
 * Issue 7: "nothing is ever sent to an address that the rendezvous did not bind to that peer".
 * Real `natkit serve` on 127.0.0.1, a real @natkit/peer (Bob), and Mallory: a peer with her own
 * key, registered through the real rendezvous client, who announces server-reflexive and
 * predicted (and relay) candidates pointing at canary sockets on 127.0.0.3 (an address the rendezvous never
 * saw her use; it saw 127.0.0.1), and an open NAT so that Bob's planner goes for a direct path.
 * Bob's handshake, keepalives and direct-path probes (session or punch probes) must never reach a
 * canary; they do reach Mallory's real socket (so the test sees Bob probing at all).
 */
import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork, type UdpSocket } from '@natkit/net';
import { connectRendezvous, type Candidate, type NatProfile, type RendezvousClient } from '@natkit/rendezvous';
import { describe, expect, it } from 'vitest';
import { createPeer, decodeControl, encodeControl, HandshakeInitiator, PacketType, readReceiverId, type Session } from '../../src/index.js';
import { accepted, useNatkitServe } from './natkit-serve.js';

const network = createNodeNetwork();
const CANARY_ADDRESS = '127.0.0.3';
const serve = useNatkitServe();

interface Canary {
  readonly socket: UdpSocket;
  readonly got: number[];
}

async function canary(): Promise<Canary> {
  const socket = await network.bindUdp({ family: 4, address: CANARY_ADDRESS });
  const got: number[] = [];
  socket.onMessage((d) => got.push(d.length));
  return { socket, got };
}

/** What Mallory claims her NAT is: none (EIM, EIF), so that any planner tries a direct path to her. */
const OPEN_NAT: NatProfile = {
  ipv4: { udp: true, mapping: 'endpoint-independent', filtering: 'endpoint-independent', allocation: { pattern: 'preserving', step: null }, hairpinning: null, mappingLifetimeSeconds: null },
  ipv6: null,
};

/** Mallory's rendezvous session: her own key, her real socket as host (and srflx) candidate, lies besides. */
function registerMallory(identity: Identity, socket: UdpSocket, lies: readonly Candidate[], honestSrflx = true): Promise<RendezvousClient> {
  const honest: Candidate[] = [{ type: 'host', address: '127.0.0.1', port: socket.local.port }];
  if (honestSrflx) honest.push({ type: 'srflx', address: '127.0.0.1', port: socket.local.port });
  const candidates: Candidate[] = [...honest, ...lies];
  return connectRendezvous({ url: serve.rendezvousUrl, identity, nat: OPEN_NAT, candidates, timeoutMs: 5000 });
}

describe('a peer announcing candidates at addresses it was never seen at gets no probe there', () => {
  it.each([
    ['with her real srflx too: Bob probes her real socket', true],
    ['whose only srflx is spoofed', false],
  ])('Mallory (%s) connects to Bob: nothing reaches the spoofed srflx/predicted canaries', async (_name, honestSrflx) => {
    const server = serve.server;
    const [c1, c2] = [await canary(), await canary()];
    const malloryId = Identity.fromSeed(randomBytes(32));
    const msock = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const bobId = Identity.fromSeed(randomBytes(32));
    const bob = await createPeer({ server, identity: bobId, keepaliveMs: 100, directTimeoutMs: 300 }, { network });
    const lies: Candidate[] = [
      { type: 'srflx', address: CANARY_ADDRESS, port: c1.socket.local.port },
      { type: 'predicted', address: CANARY_ADDRESS, port: c2.socket.local.port },
    ];
    let rendezvous: RendezvousClient | undefined;
    try {
      rendezvous = await registerMallory(malloryId, msock, lies, honestSrflx);
      expect(rendezvous.observed.address).toBe('127.0.0.1');
      const incoming = accepted(bob);
      const intro = await rendezvous.connect(bob.peerId);
      expect(intro.role).toBe('initiator');
      // Mallory's side of the session, by hand: the init to Bob's host candidate, then she
      // answers every probe of Bob's (so his direct path to her real socket validates).
      // Each attempt is a fresh init (newer timestamp); a retransmission would do too since
      // Bob opens the connection for one whose first copy beat the introduction (init-before-introduce.test.ts).
      const initiators = new Map<number, HandshakeInitiator>();
      const started = Date.now();
      let session: Session | undefined;
      let fromBob = 0;
      msock.onMessage((data, from) => {
        if (data[0] !== PacketType.HandshakeResponse) fromBob++; // session probes, punch probes, keepalives
        if (data[0] === PacketType.HandshakeResponse && session === undefined) {
          const done = initiators.get(readReceiverId(data) ?? -1)?.handleResponse(data, performance.now());
          if (done === undefined) return;
          if (done.ok) session = done.session;
        } else if (data[0] === PacketType.Transport && session !== undefined) {
          const opened = session.open(data, performance.now());
          if (!opened.ok) return;
          const m = decodeControl(opened.payload);
          if (m.ok && m.value.type === 'probe') msock.send(session.seal(encodeControl({ type: 'probe-ack', nonce: m.value.nonce }), performance.now()), from);
        }
      });
      const bobHost = intro.peer.candidates.find((c) => c.type === 'host')!;
      for (let i = 0; i < 20 && session === undefined; i++) {
        const initiator = new HandshakeInitiator({ identity: malloryId, remotePeerId: bobId.peerId, localId: 77 + i, timestamp: started + i });
        initiators.set(initiator.localId, initiator);
        msock.send(initiator.packet, { address: bobHost.address, port: bobHost.port });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(session).toBeDefined();
      msock.send(session!.seal(encodeControl({ type: 'data', payload: new TextEncoder().encode('hi bob') }), performance.now()), { address: bobHost.address, port: bobHost.port });
      const c = await Promise.race([incoming, new Promise<never>((_ok, fail) => setTimeout(() => fail(new Error('Bob answered the handshake but opened no connection')), 5000))]);
      expect(c.remotePeerId).toBe(malloryId.peerId);
      // Bob's direct-path attempt (2.5 s of rounds) and keepalives every 100 ms run meanwhile.
      await new Promise((r) => setTimeout(r, 3000));
      // With a verified srflx every planner tries a direct path: Bob's datagrams must have gone somewhere.
      if (honestSrflx) expect(fromBob, 'Bob sent to the address the rendezvous bound to Mallory').toBeGreaterThan(5);
      expect(c1.got, 'spoofed srflx canary').toEqual([]);
      expect(c2.got, 'spoofed predicted canary').toEqual([]);
    } finally {
      await rendezvous?.close();
      await bob.close();
      await msock.close();
      await c1.socket.close();
      await c2.socket.close();
    }
  }, 20_000);

  it('Bob connects to Mallory: his handshake attempt goes nowhere near the spoofed srflx/predicted/relay canaries', async () => {
    const server = serve.server;
    const [c1, c2, c3] = [await canary(), await canary(), await canary()];
    const malloryId = Identity.fromSeed(randomBytes(32));
    const msock = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), connectTimeoutMs: 2500 }, { network });
    let rendezvous: RendezvousClient | undefined;
    try {
      rendezvous = await registerMallory(malloryId, msock, [
        { type: 'srflx', address: CANARY_ADDRESS, port: c1.socket.local.port },
        { type: 'predicted', address: CANARY_ADDRESS, port: c2.socket.local.port },
        // A relay candidate not at the natkit server's relay: Bob must not send his inits there.
        { type: 'relay', address: CANARY_ADDRESS, port: c3.socket.local.port },
      ]);
      // Mallory never answers: Bob's connect fails after its 2.5 s of handshake retransmissions.
      await expect(bob.connect(malloryId.peerId, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(/no handshake answer/);
      expect(c1.got, 'spoofed srflx canary').toEqual([]);
      expect(c2.got, 'spoofed predicted canary').toEqual([]);
      expect(c3.got, 'spoofed relay canary').toEqual([]);
    } finally {
      await rendezvous?.close();
      await bob.close();
      await msock.close();
      await c1.socket.close();
      await c2.socket.close();
      await c3.socket.close();
    }
  }, 20_000);
});
