import { describe, expect, it } from 'vitest';
import { createNodeNetwork, systemClock } from '@natkit/net';
import { createStunServer, MAX_PADDING_LIMIT, padding, readPaddingLength, StunClient } from '../../src/index.js';

describe('PADDING limit', () => {
  it('caps an absurd maxPadding so a response stays a valid datagram', async () => {
    const network = createNodeNetwork({ receiveBufferSize: 1 << 20 });
    const server = createStunServer({ primary: { address: '127.0.0.1', port: 0 }, maxPadding: 1_000_000 }, { network });
    await server.start();
    const socket = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const client = new StunClient({}, { socket, clock: systemClock });
    try {
      const r = await client.request(server.addresses()[0]!, { attributes: [padding(30_000)] });
      expect(r.message.class).toBe('success');
      expect(readPaddingLength(r.message)).toBe(MAX_PADDING_LIMIT);
      expect(r.message.raw.length).toBeLessThan(MAX_PADDING_LIMIT + 200);
    } finally {
      client.close();
      await socket.close();
      await server.close();
    }
  });
});
