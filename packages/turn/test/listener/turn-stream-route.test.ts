import { createNodeNetwork } from '@natkit/net';
import { createTransactionId, encodeMessage, readXorMappedAddress, StunMethod } from '@natkit/stun';
import { afterEach, describe, expect, it } from 'vitest';
import { createPortMux } from '../../src/listener/port-mux.js';
import { createTurnStreamRoute, type TurnStreamRouteOptions } from '../../src/listener/turn-stream-route.js';
import { createTurnServer } from '../../src/server/turn-server.js';
import { RawTurnClient } from './raw-turn-client.js';

/* TURN over TCP through the route into natkit's real TURN server, on loopback. */
const net = createNodeNetwork();
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function serve(options: TurnStreamRouteOptions = {}) {
  const server = createTurnServer({ users: new Map([['alice', 'pw']]), allowPeers: ['127.0.0.1/32'], relayAddresses: ['127.0.0.1'] }, { network: net });
  cleanup.push(() => server.close());
  const route = createTurnStreamRoute(server, options);
  const listener = await net.listenTcp({ family: 4, address: '127.0.0.1' });
  cleanup.push(() => listener.close());
  createPortMux({ turn: route }).attach(listener);
  const open = async (): Promise<RawTurnClient> => {
    const c = await RawTurnClient.open(listener.local.port);
    cleanup.push(() => c.socket.destroy());
    return c;
  };
  return { server, route, open };
}

/** Polls `pred` every 10 ms, at most 2 s. */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('TURN over TCP (the stream route)', () => {
  it('closing the control connection deletes its allocation (RFC 8656 §3.1)', async () => {
    const { server, open } = await serve();
    const client = await open();
    const relayed = await client.allocate('alice', 'pw');
    expect(relayed.address).toBe('127.0.0.1');
    expect(server.stats().allocations).toBe(1);
    client.socket.destroy();
    await until(() => server.stats().allocations === 0);
    expect(server.stats().allocations).toBe(0);
  });

  it('answers a STUN Binding request on the stream with the client address', async () => {
    const { open, route } = await serve();
    const client = await open();
    const answer = await client.request(StunMethod.Binding, [], false);
    expect(answer.class).toBe('success');
    expect(readXorMappedAddress(answer)).toEqual({ address: '127.0.0.1', port: client.socket.localPort });
    expect(route.stats().bindingAnswered).toBe(1);
  });

  it('closes a connection that holds no allocation past the deadline, and keeps one that does', async () => {
    const { open, route } = await serve({ allocateWithinMs: 300 });
    const idle = await open();
    idle.socket.write(encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: createTransactionId() }));
    const allocated = await open();
    await allocated.allocate('alice', 'pw');
    await idle.closed;
    expect(route.stats().noAllocation).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(allocated.socket.destroyed).toBe(false);
  });

  it('closes a connection whose bytes stop being TURN framing', async () => {
    const { open, route } = await serve();
    const client = await open();
    await client.allocate('alice', 'pw');
    client.socket.write(Uint8Array.of(0x80, 0, 0, 0, 0, 0, 0, 0));
    await client.closed;
    expect(route.stats().badFraming).toBe(1);
  });
});
