import { createNodeNetwork } from '@natkit/net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { allocateRelay } from '@natkit/turn';
import { describeWithTools, startCoturn, startServers, type Coturn } from './turn-client-coturn.js';
import { nextMessage, startEchoPeer } from './turn-client-echo.js';

/*
 * The client's timers against coturn: an allocation granted for 4 s (coturn
 * --max-allocate-lifetime) with nonces that go stale after 3 s must still relay 9 s later (refreshed
 * at half its lifetime, 438 answered with the fresh nonce); and an ALTERNATE-SERVER redirect (300)
 * from one coturn to another is followed.
 */
const network = createNodeNetwork();
const alice = { username: 'alice', password: 'secret' };

describeWithTools('TURN client refresh and redirect against coturn', ['turnserver'], () => {
  let shortLived: Coturn;
  let target: Coturn;
  let redirector: Coturn;
  beforeAll(async () => {
    [shortLived, target] = await startServers([
      startCoturn({ users: ['alice:secret'], extraArgs: ['--max-allocate-lifetime=4', '--stale-nonce=3', '-v'] }),
      startCoturn({ users: ['alice:secret'] }),
    ]);
    redirector = await startCoturn({ users: ['alice:secret'], extraArgs: [`--alternate-server=127.0.0.1:${target.port}`] });
  });
  afterAll(async () => {
    await Promise.all([shortLived?.stop(), target?.stop(), redirector?.stop()]);
  });

  it('refreshes a 4 s allocation (through stale nonces) and still relays after 9 s', async () => {
    const peer = await startEchoPeer();
    const a = await allocateRelay({ server: { address: '127.0.0.1', port: shortLived.port }, credentials: alice }, { network });
    try {
      expect(a.lifetimeSeconds).toBe(4);
      const firstExpiry = a.socket.expiresAt;
      const first = nextMessage(a.socket, 3000, (t) => t === 'echo:before');
      a.socket.send(Buffer.from('before'), peer.socket.local);
      await first;
      await new Promise((r) => setTimeout(r, 9000));
      expect(a.socket.closed).toBe(false);
      expect(a.socket.expiresAt).toBeGreaterThan(firstExpiry + 5000);
      const after = nextMessage(a.socket, 3000, (t) => t === 'echo:after');
      a.socket.send(Buffer.from('after'), peer.socket.local);
      expect((await after).from).toEqual(peer.socket.local);
      // coturn's verbose log: refreshed every ~2 s, and at least one 438 answered with the new nonce.
      const log = shortLived.output();
      expect(log.match(/incoming packet REFRESH processed, success/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
      expect(log).toMatch(/error 438: Stale nonce/);
    } finally {
      await a.socket.close();
      await peer.close();
    }
  }, 20_000);

  it('follows ALTERNATE-SERVER (300) to the other server and relays there', async () => {
    const peer = await startEchoPeer();
    const a = await allocateRelay({ server: { address: '127.0.0.1', port: redirector.port }, credentials: alice }, { network });
    try {
      expect(a.redirects).toEqual([{ address: '127.0.0.1', port: target.port }]);
      expect(a.server).toEqual({ address: '127.0.0.1', port: target.port });
      const reply = nextMessage(a.socket, 3000, (t) => t === 'echo:redirected');
      a.socket.send(Buffer.from('redirected'), peer.socket.local);
      await reply;
    } finally {
      await a.socket.close();
      await peer.close();
    }
  });
});
