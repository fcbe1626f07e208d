import { describe, expect, it } from 'vitest';
import { createNodeNetwork, udpBatchStatus, udpReusePortSupported, type Endpoint, type UdpSocket } from '../src/index.js';

/* SO_REUSEPORT through `reusePorts`: the batched-I/O addon sets it itself; without it, Node's dgram
   has it from 22.12 / 23.1. Node 20 without the addon has no such option: there the probe says false
   and a second bind of the port fails, which is what these tests check instead. */

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const nodeHasReusePort = udpBatchStatus().available || major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);

/** A loopback port that was free a moment ago (bound ephemerally, then closed). */
async function freePort(): Promise<number> {
  const s = await createNodeNetwork().bindUdp({ family: 4, address: '127.0.0.1' });
  const port = s.local.port;
  await s.close();
  return port;
}

describe('Node adapter: reusePorts (SO_REUSEPORT)', () => {
  it(`udpReusePortSupported() says ${String(nodeHasReusePort)} on Node ${process.versions.node} (batched UDP I/O: ${String(udpBatchStatus().available)})`, async () => {
    expect(await udpReusePortSupported()).toBe(nodeHasReusePort);
  });

  it('only the listed port is shared: an ephemeral bind never joins a group', async () => {
    const net = createNodeNetwork({ reusePorts: [1] });
    await using a = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    await expect(net.bindUdp({ family: 4, address: '127.0.0.1', port: a.local.port })).rejects.toMatchObject({ code: 'ERR_BIND' });
  });

  it('two sockets share a listed port where Node can (the kernel keeps each source on one socket), else the second bind fails', async () => {
    const port = await freePort();
    const net = createNodeNetwork({ reusePorts: [port] });
    await using a = await net.bindUdp({ family: 4, address: '127.0.0.1', port });
    const second = net.bindUdp({ family: 4, address: '127.0.0.1', port });
    if (!nodeHasReusePort) {
      await expect(second).rejects.toMatchObject({ code: 'ERR_BIND' });
      return;
    }
    await using b = await second;
    const seen = new Map<number, Set<string>>();
    let received = 0;
    const listen = (s: UdpSocket, name: string): void => {
      s.onMessage((_data, from: Endpoint) => {
        received++;
        const where = seen.get(from.port) ?? new Set<string>();
        where.add(name);
        seen.set(from.port, where);
      });
    };
    listen(a, 'a');
    listen(b, 'b');
    const sources = await Promise.all(Array.from({ length: 32 }, () => createNodeNetwork().bindUdp({ family: 4, address: '127.0.0.1' })));
    try {
      for (let round = 0; round < 3; round++) for (const s of sources) s.send(Buffer.from('x'), { address: '127.0.0.1', port });
      const deadline = Date.now() + 2000;
      while (received < 96 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(received).toBe(96);
      // Every source reached exactly one socket, and (32 sources, hash-spread) both sockets got some.
      expect([...seen.values()].every((where) => where.size === 1)).toBe(true);
      const names = new Set([...seen.values()].flatMap((where) => [...where]));
      expect(names).toEqual(new Set(['a', 'b']));
    } finally {
      await Promise.all(sources.map((s) => s.close()));
    }
  });
});
