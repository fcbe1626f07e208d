import { describe, expect, it } from 'vitest';
import { createNodeNetwork, systemClock, type Endpoint } from '../src/index.js';

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

  it('a connected socket hears ICMP port unreachable as ECONNREFUSED, and only its peer', async () => {
    const net = createNodeNetwork();
    const gone = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    const port = gone.local.port;
    await gone.close();
    await using s = await net.bindUdp({ family: 4, address: '127.0.0.1', connect: { address: '127.0.0.1', port } });
    const refused = new Promise<string>((resolve) => s.onError((e) => resolve((e as { code?: string }).code ?? '')));
    s.send(Buffer.from('x'), { address: '127.0.0.1', port });
    expect(await refused).toBe('ECONNREFUSED');
    const errors: string[] = [];
    s.onError((e) => errors.push((e as { code?: string }).code ?? ''));
    s.send(Buffer.from('x'), { address: '127.0.0.1', port: port === 65535 ? 1 : port + 1 });
    expect(errors).toEqual(['ERR_SOCKET_CONNECTED']);
  });

  it('refuses an address of the wrong family', async () => {
    await expect(createNodeNetwork().bindUdp({ family: 6, address: '127.0.0.1' })).rejects.toThrow(/not an IPv6/);
  });

  it('finds the local address used towards loopback', async () => {
    expect(await createNodeNetwork().localAddressFor({ address: '127.0.0.1', port: 3478 })).toBe('127.0.0.1');
  });

  // Node passes a failed UDP connect() to its callback, not to 'error'. Connecting to the limited
  // broadcast address without SO_BROADCAST fails (EACCES on Linux) on any machine, as does a
  // link-local IPv6 address without a zone (EINVAL), just like ENETUNREACH on a host without a
  // route of that family: no local address, not the wildcard the socket was bound to.
  it('finds no local address when connect() fails (as with no route), instead of the wildcard', async () => {
    const net = createNodeNetwork();
    expect(await net.localAddressFor({ address: '255.255.255.255', port: 3478 })).toBeUndefined();
    expect(await net.localAddressFor({ address: 'fe80::1', port: 3478 })).toBeUndefined();
  });

  it('rejects a connected socket whose connect() fails, instead of returning it unconnected', async () => {
    const net = createNodeNetwork();
    await expect(net.bindUdp({ family: 4, connect: { address: '255.255.255.255', port: 3478 } })).rejects.toThrow(/cannot connect UDP/);
  });
});

describe('systemClock', () => {
  it('an Infinity delay waits (the longest a timer can) instead of firing after 1 ms with a warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    let fired = false;
    const timer = systemClock.setTimeout(() => {
      fired = true;
    }, Number.POSITIVE_INFINITY);
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fired).toBe(false);
      expect(warnings).toEqual([]);
    } finally {
      timer.cancel();
      process.off('warning', onWarning);
    }
  });
});

describe('createNodeNetwork options', () => {
  it('refuses a NaN or negative buffer size', () => {
    expect(() => createNodeNetwork({ receiveBufferSize: Number.NaN })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
    expect(() => createNodeNetwork({ sendBufferSize: -1 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
  });
});
