import { createNodeNetwork, type Endpoint, type Network, type UdpSocket } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { createVirtualNetwork } from '../src/index.js';

/**
 * The `Network` contract, checked once against both implementations: code tested on the virtual
 * network must meet the same bad input the same way on real sockets (issue 10, item 3).
 */
interface Implementation {
  readonly name: string;
  open(): { network: Network; close: () => Promise<void> };
}

const implementations: readonly Implementation[] = [
  { name: 'Node adapter', open: () => ({ network: createNodeNetwork(), close: () => Promise.resolve() }) },
  {
    name: 'virtual network',
    open: () => {
      // The default clock is the system clock: delivery happens on real timers, as with sockets.
      const vnet = createVirtualNetwork();
      return { network: vnet.createHost(vnet.internet).network, close: () => vnet.close() };
    },
  },
];

const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;

/** Sends from `socket` and returns the codes reported to its error handlers (never a throw). */
function sendCodes(socket: UdpSocket, to: Endpoint): unknown[] {
  const codes: unknown[] = [];
  const off = socket.onError((e) => codes.push(codeOf(e)));
  expect(() => socket.send(new Uint8Array([1]), to)).not.toThrow();
  off();
  return codes;
}

describe.each(implementations)('Network contract: $name', (impl) => {
  it.each([70_000, -1, 1.5, Number.NaN, 65_536])('bindUdp refuses port %s with ERR_BAD_PORT', async (port) => {
    const { network, close } = impl.open();
    try {
      await expect(network.bindUdp({ family: 4, address: '127.0.0.1', port })).rejects.toMatchObject({ code: 'ERR_BAD_PORT' });
    } finally {
      await close();
    }
  });

  it('bindUdp refuses a bad family, an address of the other family and a host name to connect to', async () => {
    const { network, close } = impl.open();
    try {
      await expect(network.bindUdp({ family: 5 as 4 })).rejects.toMatchObject({ code: 'ERR_BAD_OPTION' });
      await expect(network.bindUdp({ family: 4, address: '::1' })).rejects.toMatchObject({ code: 'ERR_BAD_ADDRESS' });
      await expect(network.bindUdp({ family: 4, connect: { address: 'localhost', port: 9 } })).rejects.toMatchObject({ code: 'ERR_BAD_ADDRESS' });
      await expect(network.bindUdp({ family: 4, connect: { address: '127.0.0.1', port: 0 } })).rejects.toMatchObject({ code: 'ERR_BAD_PORT' });
    } finally {
      await close();
    }
  });

  it('send reports a wrong family, a host name and a bad port as errors, and still delivers good sends', async () => {
    const { network, close } = impl.open();
    try {
      await using a = await network.bindUdp({ family: 4, address: '127.0.0.1' });
      await using b = await network.bindUdp({ family: 4, address: '127.0.0.1' });
      expect(sendCodes(a, { address: '::1', port: b.local.port })).toEqual(['ERR_BAD_ADDRESS']);
      expect(sendCodes(a, { address: 'localhost', port: b.local.port })).toEqual(['ERR_BAD_ADDRESS']);
      expect(sendCodes(a, { address: '127.0.0.1', port: 0 })).toEqual(['ERR_BAD_PORT']);
      expect(sendCodes(a, { address: '127.0.0.1', port: 70_000 })).toEqual(['ERR_BAD_PORT']);
      const got = new Promise<Endpoint>((resolve) => b.onMessage((_data, from) => resolve(from)));
      expect(sendCodes(a, b.local)).toEqual([]);
      expect(await got).toEqual(a.local);
    } finally {
      await close();
    }
  });

  it('an IPv6 socket refuses IPv4 and IPv4-mapped destinations', async () => {
    const { network, close } = impl.open();
    try {
      await using s = await network.bindUdp({ family: 6, address: '::1' });
      expect(sendCodes(s, { address: '127.0.0.1', port: 9 })).toEqual(['ERR_BAD_ADDRESS']);
      // IPv4-mapped: Node's IPv6-only socket drops it silently, vnet had no route; now both refuse.
      expect(sendCodes(s, { address: '::ffff:127.0.0.1', port: 9 })).toEqual(['ERR_BAD_ADDRESS']);
      expect(sendCodes(s, { address: '::FFFF:7f00:1', port: 9 })).toEqual(['ERR_BAD_ADDRESS']);
    } finally {
      await close();
    }
  });

  it('localAddressFor answers for IP literals only', async () => {
    const { network, close } = impl.open();
    try {
      expect(await network.localAddressFor({ address: '127.0.0.1', port: 9 })).toBe('127.0.0.1');
      expect(await network.localAddressFor({ address: 'localhost', port: 9 })).toBeUndefined();
    } finally {
      await close();
    }
  });
});
