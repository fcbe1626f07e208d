import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock } from '../src/index.js';

describe('connected sockets', () => {
  it('receive only from their peer; other datagrams are dropped as no-socket', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const a = vnet.createHost(vnet.internet, { ipv4: '203.0.113.1' });
    const b = vnet.createHost(vnet.internet, { ipv4: '203.0.113.2' });
    const peer = await a.network.bindUdp({ family: 4, port: 1000 });
    const stranger = await a.network.bindUdp({ family: 4, port: 1001 });
    const connected = await b.network.bindUdp({ family: 4, port: 2000, connect: { address: '203.0.113.1', port: 1000 } });
    const got: number[] = [];
    connected.onMessage((_d, from) => got.push(from.port));
    peer.send(new Uint8Array([1]), connected.local.address === '0.0.0.0' ? { address: '203.0.113.2', port: 2000 } : connected.local);
    stranger.send(new Uint8Array([2]), { address: '203.0.113.2', port: 2000 });
    await clock.advance(10);
    expect(got).toEqual([1000]);
    expect(vnet.stats().drops['no-socket']).toBe(1);
    const errors: string[] = [];
    connected.onError((e) => errors.push((e as { code?: string }).code ?? ''));
    connected.send(new Uint8Array([3]), { address: '203.0.113.1', port: 1001 });
    expect(errors).toEqual(['ERR_SOCKET_CONNECTED']);
    await vnet.close();
  });
});
