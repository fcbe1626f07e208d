import { createNodeNetwork, type Endpoint, type UdpSocket } from '@natkit/net';
import { Identity } from '@natkit/identity';
import { describe, expect, it } from 'vitest';
import { HandshakeInitiator, HandshakeResponder, PacketType, readReceiverId, type Session } from '../../src/index.js';

const net = createNodeNetwork();
const LOOPBACK = '127.0.0.1';

/** The next datagram on `socket` that `accept` keeps, or a rejection after 2 s. */
function next(socket: UdpSocket, accept: (data: Uint8Array, from: Endpoint) => boolean = () => true): Promise<{ data: Uint8Array; from: Endpoint }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no datagram on ${socket.local.port} within 2 s`));
    }, 2000);
    const off = socket.onMessage((data, from) => {
      if (!accept(data, from)) return;
      clearTimeout(timer);
      off();
      resolve({ data: Uint8Array.from(data), from });
    });
  });
}

describe('a session over real UDP sockets (127.0.0.1)', () => {
  it('starts through a blind relay, moves to a direct path and a new source port without a new handshake, and the relay sees only ciphertext', async () => {
    const alice = Identity.generate();
    const bob = Identity.generate();
    const sockets: UdpSocket[] = [];
    try {
      const bind = async (): Promise<UdpSocket> => {
        const s = await net.bindUdp({ family: 4, address: LOOPBACK, port: 0 });
        sockets.push(s);
        return s;
      };
      const [aliceSocket, aliceNewSocket, bobSocket, relay] = [await bind(), await bind(), await bind(), await bind()];
      // The relay forwards Alice <-> Bob and records everything it carries.
      const relayed: Uint8Array[] = [];
      relay.onMessage((data, from) => {
        relayed.push(Uint8Array.from(data));
        relay.send(data, from.port === bobSocket.local.port ? aliceSocket.local : bobSocket.local);
      });

      // Bob: one responder, sessions by connection id; answers to wherever the last authenticated packet came from.
      const responder = new HandshakeResponder({ identity: bob, allocateId: () => 500 });
      const bobSessions = new Map<number, { session: Session; peer: Endpoint }>();
      const bobGot: string[] = [];
      bobSocket.onMessage((data, from) => {
        if (data[0] === PacketType.HandshakeInit) {
          const r = responder.handleInit(data, performance.now());
          if (r.ok) {
            bobSessions.set(r.value.session.localId, { session: r.value.session, peer: from });
            bobSocket.send(r.value.response, from);
          }
          return;
        }
        const entry = bobSessions.get(readReceiverId(data) ?? -1);
        const opened = entry?.session.open(data, performance.now());
        if (entry === undefined || opened?.ok !== true) return;
        entry.peer = from; // the path may have changed: reply where it came from now
        const text = new TextDecoder().decode(opened.payload);
        bobGot.push(text);
        bobSocket.send(entry.session.seal(new TextEncoder().encode(`echo ${text}`), performance.now()), from);
      });

      const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 7, timestamp: Date.now() });
      const response = next(aliceSocket, (d) => d[0] === PacketType.HandshakeResponse);
      aliceSocket.send(initiator.packet, relay.local);
      const done = initiator.handleResponse((await response).data, performance.now());
      expect(done.ok).toBe(true);
      if (!done.ok) return;
      const session = done.session;

      const roundTrip = async (socket: UdpSocket, to: Endpoint, text: string): Promise<{ reply: string; from: Endpoint }> => {
        const reply = next(socket, (d) => d[0] === PacketType.Transport);
        socket.send(session.seal(new TextEncoder().encode(text), performance.now()), to);
        const { data, from } = await reply;
        const opened = session.open(data, performance.now());
        if (!opened.ok) throw new Error(`reply dropped: ${opened.reason}`);
        return { reply: new TextDecoder().decode(opened.payload), from };
      };
      // 1. over the relay
      for (let i = 0; i < 5; i++) expect((await roundTrip(aliceSocket, relay.local, `secret relayed ${i}`)).reply).toBe(`echo secret relayed ${i}`);
      // 2. direct, same session (connection id 500 at Bob, 7 at Alice)
      const direct = await roundTrip(aliceSocket, bobSocket.local, 'secret direct');
      expect(direct).toEqual({ reply: 'echo secret direct', from: bobSocket.local });
      // 3. NAT rebinding: Alice's packets now come from another port
      expect((await roundTrip(aliceNewSocket, bobSocket.local, 'secret rebound')).reply).toBe('echo secret rebound');

      expect(bobGot).toEqual([0, 1, 2, 3, 4].map((i) => `secret relayed ${i}`).concat(['secret direct', 'secret rebound']));
      expect(bobSessions.size).toBe(1);
      expect(session.stats).toMatchObject({ sent: 7, received: 7 });
      // The relay carried the handshake and 10 transport packets, and never the plaintext.
      expect(relayed).toHaveLength(12);
      for (const datagram of relayed) expect(Buffer.from(datagram).includes(Buffer.from('secret'))).toBe(false);
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
    }
  });
});
