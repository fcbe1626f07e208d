import { createNodeNetwork, type StreamConnection } from '@natkit/net';
import { readNonce } from '@natkit/stun';
import { afterEach, describe, expect, it } from 'vitest';
import { createPortMux } from '../../src/listener/port-mux.js';
import { createTurnStreamRoute } from '../../src/listener/turn-stream-route.js';
import { TRANSPORT_UDP, TurnMethod } from '../../src/proto/constants.js';
import { xorPeerAddress } from '../../src/proto/peer-address.js';
import { requestedTransport } from '../../src/proto/requested-transport.js';
import { createTurnServer } from '../../src/server/turn-server.js';
import { RawTurnClient } from './raw-turn-client.js';

/*
 * A TURN client over TCP that stops reading while its peer floods the relayed address: the
 * server's queue towards it stays under the connection's write limit (relayed packets are
 * dropped, as UDP would lose them) and the server keeps answering other clients.
 */
const net = createNodeNetwork();
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function openClient(port: number): Promise<RawTurnClient> {
  const client = await RawTurnClient.open(port);
  cleanup.push(() => client.socket.destroy());
  return client;
}

describe('TURN over TCP: a client that reads too slowly', () => {
  it('never makes the server queue more than the write limit, and the server keeps serving', async () => {
    const limit = 64 * 1024;
    const server = createTurnServer(
      { users: new Map([['alice', 'pw']]), allowPeers: ['127.0.0.1/32'], relayAddresses: ['127.0.0.1'] },
      { network: net },
    );
    cleanup.push(() => server.close());
    const route = createTurnStreamRoute(server);
    let serverSide: StreamConnection | undefined;
    const mux = createPortMux({ turn: (c, b) => ((serverSide ??= c), route(c, b)) });
    const listener = await net.listenTcp({ family: 4, address: '127.0.0.1', maxWriteBuffer: limit, overflow: 'drop' });
    cleanup.push(() => listener.close());
    mux.attach(listener);
    const peer = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    cleanup.push(() => peer.close());

    const client = await openClient(listener.local.port);
    const relayed = await client.allocate('alice', 'pw');
    const permitted = await client.request(TurnMethod.CreatePermission, [xorPeerAddress(peer.local)]);
    expect(permitted.class).toBe('success');

    client.socket.pause(); // from now on the client reads nothing
    const payload = new Uint8Array(1000).fill(0x5a);
    let maxQueued = 0;
    for (let burst = 0; burst < 200; burst++) {
      for (let i = 0; i < 100; i++) peer.send(payload, relayed);
      await new Promise((resolve) => setImmediate(resolve));
      maxQueued = Math.max(maxQueued, serverSide?.bufferedBytes ?? 0);
    }
    expect(serverSide).toBeDefined();
    expect(maxQueued).toBeGreaterThan(0); // the kernel buffers filled and the server had to queue
    expect(maxQueued).toBeLessThanOrEqual(limit);
    expect(serverSide?.stats().writesDropped).toBeGreaterThan(0);
    expect(serverSide?.closed).toBe(false);

    const other = await openClient(listener.local.port);
    const answer = await other.request(TurnMethod.Allocate, [requestedTransport(TRANSPORT_UDP)], false);
    expect(answer.class).toBe('error'); // 401 with a fresh nonce: still serving
    expect(readNonce(answer)).toBeDefined();
  });
});
