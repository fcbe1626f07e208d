import { describe, expect, it } from 'vitest';
import { createNodeNetwork, type Endpoint } from '../src/index.js';

describe('Node adapter', () => {
  it('delivers a datagram between two loopback sockets with the sender as source', async () => {
    const net = createNodeNetwork();
    await using a = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    await using b = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    const got = new Promise<[string, Endpoint]>((resolve) => {
      b.onMessage((data, from) => resolve([Buffer.from(data).toString(), from]));
    });
    a.send(Buffer.from('ping'), b.local);
    const [text, from] = await got;
    expect(text).toBe('ping');
    expect(from).toEqual(a.local);
  });

  it('reports a send to a closed socket as an error event, not an exception', async () => {
    const net = createNodeNetwork();
    const a = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    const errors: Error[] = [];
    a.onError((e) => errors.push(e));
    await a.close();
    await a.close();
    expect(() => a.send(Buffer.from('x'), { address: '127.0.0.1', port: 9 })).not.toThrow();
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_SOCKET_CLOSED']);
  });

  it('refuses an address of the wrong family', async () => {
    await expect(createNodeNetwork().bindUdp({ family: 6, address: '127.0.0.1' })).rejects.toThrow(/not an IPv6/);
  });

  it('finds the local address used towards loopback', async () => {
    expect(await createNodeNetwork().localAddressFor({ address: '127.0.0.1', port: 3478 })).toBe('127.0.0.1');
  });
});
