import { describe, expect, it } from 'vitest';
import { createNodeNetwork, systemClock } from '@natkit/net';
import { createStunServer, readOtherAddress, readResponseOrigin, StunClient } from '../../src/index.js';

describe('advertised addresses (a server behind a 1:1 NAT)', () => {
  it('announces the public addresses in RESPONSE-ORIGIN and OTHER-ADDRESS, with the bound ports', async () => {
    const network = createNodeNetwork();
    const server = createStunServer(
      { primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' }, advertised: { primary: '198.51.100.7', alternate: '198.51.100.8' } },
      { network },
    );
    await server.start();
    const socket = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const client = new StunClient({}, { socket, clock: systemClock });
    try {
      const [a, , b] = server.addresses();
      const fromA = await client.request(a!);
      expect(readResponseOrigin(fromA.message)).toEqual({ address: '198.51.100.7', port: a!.port });
      expect(readOtherAddress(fromA.message)).toEqual({ address: '198.51.100.8', port: server.addresses()[3]!.port });
      const fromB = await client.request(b!);
      expect(readResponseOrigin(fromB.message)).toEqual({ address: '198.51.100.8', port: b!.port });
      expect(readOtherAddress(fromB.message)).toEqual({ address: '198.51.100.7', port: server.addresses()[1]!.port });
    } finally {
      client.close();
      await socket.close();
      await server.close();
    }
  });

  it('refuses an advertised address of the other family', () => {
    expect(() =>
      createStunServer({ primary: { address: '127.0.0.1', port: 0 }, advertised: { primary: '2001:db8::1' } }, { network: createNodeNetwork() }),
    ).toThrow(/not an IPv4 literal/);
  });
});
