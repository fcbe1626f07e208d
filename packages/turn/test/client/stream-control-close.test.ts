import { createNodeNetwork } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { allocateRelay, TurnClientError } from '../../src/index.js';

/* A TURN connection that closes before answering fails the Allocate at once (loopback TCP). */
describe('TURN client over a stream that closes', () => {
  it('rejects with ERR_TURN_CLOSED well before the 10 s stream timeout', async () => {
    const network = createNodeNetwork();
    const listener = await network.listenTcp({ family: 4, address: '127.0.0.1' });
    listener.onConnection((c) => c.onData(() => void c.close(0)));
    try {
      const started = performance.now();
      const e = await allocateRelay({ server: listener.local, credentials: { username: 'a', password: 'b' }, transport: 'tcp' }, { network }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TurnClientError);
      expect((e as TurnClientError).code).toBe('ERR_TURN_CLOSED');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await listener.close();
    }
  });

  it('says the connection failed when nothing listens (plain words, no answer)', async () => {
    const network = createNodeNetwork();
    const listener = await network.listenTcp({ family: 4, address: '127.0.0.1' });
    const port = listener.local.port;
    await listener.close();
    const e = await allocateRelay({ server: { address: '127.0.0.1', port }, credentials: { username: 'a', password: 'b' }, transport: 'tcp' }, { network }).catch((x: unknown) => x);
    expect((e as TurnClientError).code).toBe('ERR_TURN_TIMEOUT');
    expect((e as TurnClientError).message).toMatch(/cannot connect to the TURN server over TCP/);
  });
});
