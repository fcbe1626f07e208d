/**
 * Issue 7: "nothing is ever sent to an address that the rendezvous did not bind to that peer".
 * Real `natkit serve` on 127.0.0.1, a real @natkit/peer (Bob), and Mallory: a peer with her own
 * key, registered through the real rendezvous client, who announces server-reflexive and
 * predicted candidates pointing at canary sockets on 127.0.0.3 (an address the rendezvous never
 * saw her use; it saw 127.0.0.1). Bob's handshake, keepalives and direct-path probes must never
 * reach a canary; they do reach Mallory's real socket (so the test sees Bob probing at all).
 * Only a relay candidate at the natkit server's relay is accepted (see trustedRelayIps).
 */
import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork, type UdpSocket } from '@natkit/net';
import { connectRendezvous, RENDEZVOUS_PATH, type Candidate, type RendezvousClient } from '@natkit/rendezvous';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeer } from '../../src/index.js';
import { startNatkitServe, type RunningServe } from './natkit-serve.js';

const network = createNodeNetwork();
const CANARY_ADDRESS = '127.0.0.3';
let serve: RunningServe;
beforeAll(async () => {
  serve = await startNatkitServe();
}, 20_000);
afterAll(async () => {
  await serve.stop();
});

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

/** Mallory's rendezvous session: her own key, her real socket as host candidate, lies besides. */
function registerMallory(identity: Identity, socket: UdpSocket, lies: readonly Candidate[]): Promise<RendezvousClient> {
  const candidates: Candidate[] = [{ type: 'host', address: '127.0.0.1', port: socket.local.port }, ...lies];
  return connectRendezvous({ url: `ws://127.0.0.1:${serve.port}${RENDEZVOUS_PATH}`, identity, nat: { ipv4: null, ipv6: null }, candidates, timeoutMs: 5000 });
}

describe('a spoofed relay candidate', () => {
  it('Bob connects to Mallory: his handshake attempt sends nothing to a relay candidate at an address the rendezvous never saw her (or her relay) use', async () => {
    const server = { address: '127.0.0.1', port: serve.port };
    const c1 = await canary();
    const malloryId = Identity.fromSeed(randomBytes(32));
    const msock = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), connectTimeoutMs: 2500 }, { network });
    let rendezvous: RendezvousClient | undefined;
    try {
      rendezvous = await registerMallory(malloryId, msock, [
        { type: 'relay', address: CANARY_ADDRESS, port: c1.socket.local.port },
      ]);
      // Mallory never answers: Bob's connect fails after its 2.5 s of handshake retransmissions.
      await expect(bob.connect(malloryId.peerId, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(/no handshake answer/);
      expect(c1.got, 'spoofed relay canary').toEqual([]);
    } finally {
      await rendezvous?.close();
      await bob.close();
      await msock.close();
      await c1.socket.close();
    }
  }, 20_000);
});
