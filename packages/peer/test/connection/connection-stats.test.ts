/**
 * What `PeerConnection.stats()` counts: the strategy name when no direct path is attempted (the
 * one name the punch planner, the CLI summary and the docs use: `relay`), and the session packets
 * the connection dropped as replays or because they did not authenticate.
 */
import { silentLogger } from '@natkit/net';
import { ManualClock } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import { encodeControl, PeerConnection, resolveConnectionTiming } from '../../src/index.js';
import { establish } from '../session/pair.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const PEER = { address: '203.0.113.7', port: 40000 };

function relayOnlyConnection(): { connection: PeerConnection; seal: (payload: string) => Uint8Array; got: string[] } {
  const clock = new ManualClock();
  const pair = establish({ now: clock.now() });
  const connection = new PeerConnection({
    session: pair.responder,
    transport: { local: { address: '100.64.1.2', port: 5000 }, relay: null, send: () => undefined },
    finder: null,
    peerRelays: [],
    directTargets: [],
    relayRoute: { via: 'socket', to: PEER },
    startedAt: clock.now(),
    timing: resolveConnectionTiming({}),
    clock,
    logger: silentLogger,
    onClosed: () => undefined,
  });
  const got: string[] = [];
  connection.onMessage((m) => got.push(new TextDecoder().decode(m)));
  return { connection, got, seal: (payload) => pair.initiator.seal(encodeControl({ type: 'data', payload: text(payload) }), clock.now()) };
}

describe('PeerConnection.stats()', () => {
  it("without a direct-path strategy the strategy is 'relay' (the punch planner's name for it)", () => {
    const { connection } = relayOnlyConnection();
    expect(connection.stats()).toMatchObject({ strategy: 'relay', strategyReason: 'no direct path attempted', path: 'relay' });
    connection.close();
  });

  it('counts replayed datagrams and datagrams that fail authentication, and delivers neither', () => {
    const { connection, seal, got } = relayOnlyConnection();
    const route = { via: 'socket' as const, to: PEER };
    const first = seal('one');
    connection.receive(first, route);
    connection.receive(first, route); // replayed
    connection.receive(first, route); // and again
    const tampered = seal('two');
    tampered[tampered.length - 1]! ^= 1; // a broken tag
    connection.receive(tampered, route);
    const forged = seal('three');
    forged[20]! ^= 0xff; // a changed ciphertext byte
    connection.receive(forged, route);
    connection.receive(seal('four'), route);
    expect(got).toEqual(['one', 'four']);
    expect(connection.stats()).toMatchObject({ replaysDropped: 2, authFailures: 2, bytesReceived: 'one'.length + 'four'.length });
    connection.close();
  });
});
