import { describe, expect, it } from 'vitest';
import { systemClock } from '@natkit/net';
import { createVirtualNetwork, ManualClock, VnetError } from '../src/index.js';
import { bytes, collect, publicSocket } from './fixtures.js';

const codeOf = (e: unknown): unknown => (e as { code?: unknown }).code;

describe('VirtualHost as a Network', () => {
  it('binds ephemeral and fixed ports and refuses conflicts and foreign addresses', async () => {
    const vnet = createVirtualNetwork({ clock: new ManualClock() });
    const host = vnet.createHost(vnet.internet, { ipv4: '203.0.113.7', ipv6: false });
    const any = await host.network.bindUdp({ family: 4 });
    expect(any.local).toEqual({ address: '0.0.0.0', port: 49152 });
    await host.network.bindUdp({ family: 4, port: 3478 });
    await expect(host.network.bindUdp({ family: 4, port: 3478 })).rejects.toMatchObject({ code: 'ERR_BIND' });
    await expect(host.network.bindUdp({ family: 4, address: '203.0.113.7', port: 3478 })).rejects.toMatchObject({ code: 'ERR_BIND' });
    await expect(host.network.bindUdp({ family: 4, address: '203.0.113.8' })).rejects.toMatchObject({ code: 'ERR_BIND' });
    await expect(host.network.bindUdp({ family: 6, address: '203.0.113.7' })).rejects.toMatchObject({ code: 'ERR_BAD_ADDRESS' });
    const specific = await host.network.bindUdp({ family: 4, address: '203.0.113.7', port: 5000 });
    expect(specific.local).toEqual({ address: '203.0.113.7', port: 5000 });
    await specific.close();
    await host.network.bindUdp({ family: 4, port: 5000 }); // freed by close
    expect(host.openSockets).toBe(3);
  });

  it('reports the host address per family from localAddressFor', async () => {
    const vnet = createVirtualNetwork({ clock: new ManualClock() });
    const nat = vnet.createRouter(vnet.internet, { ipv4Cidr: '100.64.1.0/24' });
    const host = vnet.createHost(nat, { ipv6: false });
    expect(await host.network.localAddressFor({ address: '203.0.113.1', port: 3478 })).toBe('100.64.1.2');
    expect(await host.network.localAddressFor({ address: '2001:db8::1', port: 3478 })).toBeUndefined();
    expect(await host.network.localAddressFor({ address: '127.0.0.1', port: 1 })).toBe('127.0.0.1');
  });

  it('send errors are events, never exceptions: closed socket, bad address, no address of the family', async () => {
    const vnet = createVirtualNetwork({ clock: new ManualClock() });
    const host = vnet.createHost(vnet.internet, { ipv6: false });
    const v6 = await host.network.bindUdp({ family: 6 });
    const v4 = await host.network.bindUdp({ family: 4 });
    const codes: unknown[] = [];
    v4.onError((e) => codes.push(codeOf(e)));
    v6.onError((e) => codes.push(codeOf(e)));
    v6.send(bytes('x'), { address: '2001:db8::1', port: 1 });
    v4.send(bytes('x'), { address: 'example.com', port: 1 });
    v4.send(bytes('x'), { address: '203.0.113.1', port: 0 });
    v4.send(new Uint8Array(70_000), { address: '203.0.113.1', port: 1 });
    await v4.close();
    await v4.close();
    expect(() => v4.send(bytes('x'), { address: '203.0.113.1', port: 1 })).not.toThrow();
    expect(codes).toEqual(['ERR_NETWORK_UNREACHABLE', 'ERR_BAD_ADDRESS', 'ERR_BAD_PORT', 'ERR_MSG_SIZE', 'ERR_SOCKET_CLOSED']);
  });

  it('delivers to itself over loopback and its own address, and counts a closed port as no-socket', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const host = vnet.createHost(vnet.internet, { ipv4: '203.0.113.5' });
    const a = await host.network.bindUdp({ family: 4, port: 1000 });
    const b = await host.network.bindUdp({ family: 4, port: 2000 });
    const atB = collect(b);
    a.send(bytes('lo'), { address: '127.0.0.1', port: 2000 });
    a.send(bytes('self'), { address: '203.0.113.5', port: 2000 });
    a.send(bytes('nobody'), { address: '203.0.113.5', port: 3000 });
    await clock.advance(0);
    expect(atB.messages).toEqual([
      { text: 'lo', from: { address: '127.0.0.1', port: 1000 } },
      { text: 'self', from: { address: '203.0.113.5', port: 1000 } },
    ]);
    expect(vnet.stats()).toMatchObject({ sent: 3, delivered: 2, dropped: 1, drops: { 'no-socket': 1 } });
  });

  it('bounds a socket receive queue: datagrams beyond it in one instant are dropped as queue-full', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock, receiveQueueLimit: 3 });
    const server = await publicSocket(vnet, 9);
    const client = await publicSocket(vnet, 10);
    const got = collect(server);
    for (let i = 0; i < 5; i++) client.send(bytes(String(i)), server.local);
    await clock.advance(0);
    expect(got.messages.map((m) => m.text)).toEqual(['0', '1', '2']);
    expect(vnet.stats().drops['queue-full']).toBe(2);
  });

  it('a handler that throws is reported on the error handlers and does not stop delivery', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const server = await publicSocket(vnet, 9);
    const client = await publicSocket(vnet, 10);
    const errors: string[] = [];
    server.onError((e) => errors.push(e.message));
    server.onMessage(() => {
      throw new Error('handler bug');
    });
    const got = collect(server);
    client.send(bytes('x'), server.local);
    await clock.advance(0);
    expect(errors).toEqual(['handler bug']);
    expect(got.messages).toHaveLength(1);
  });

  it('refuses duplicate static addresses and bad CIDRs with typed errors', () => {
    const vnet = createVirtualNetwork({ clock: new ManualClock() });
    vnet.createHost(vnet.internet, { ipv4: '203.0.113.1' });
    expect(() => vnet.createHost(vnet.internet, { ipv4: '203.0.113.1' })).toThrow(VnetError);
    expect(() => vnet.createRouter(vnet.internet, { ipv4Cidr: '10.0.0.0/33' })).toThrow(/CIDR/);
  });

  it('close() is idempotent, closes every socket and stops the network timer', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const server = await publicSocket(vnet, 9);
    server.send(bytes('in flight'), server.local);
    expect(clock.pendingTimers).toBe(1);
    await vnet.close();
    await vnet[Symbol.asyncDispose]();
    expect(vnet.openSockets).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(() => vnet.createHost(vnet.internet)).toThrow(/closed/);
  });

  it('runs in real time on the system clock (for demos)', async () => {
    const vnet = createVirtualNetwork({ clock: systemClock });
    const nat = vnet.createRouter(vnet.internet);
    const client = await vnet.createHost(nat).network.bindUdp({ family: 4 });
    const server = await publicSocket(vnet, 9);
    const got = collect(server).next();
    client.send(bytes('real time'), server.local);
    expect((await got).text).toBe('real time');
    await vnet.close();
  });
});
