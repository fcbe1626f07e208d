import { createListenerSet, createNodeNetwork } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import {
  createStunBindingService,
  createTransactionId,
  encodeMessage,
  readChangedAddress,
  readResponseOrigin,
  readXorMappedAddress,
  startStunServer,
  StunMethod,
} from '../../src/index.js';
import { exchange, waitFor } from './loopback.js';

const network = createNodeNetwork();

function binding(): [Uint8Array, Uint8Array] {
  const id = createTransactionId();
  return [encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id }, { fingerprint: true }), id];
}

describe('a server bound to the wildcard', () => {
  it('serves each local address from its own socket, and tells RESPONSE-ORIGIN', async () => {
    await using server = await startStunServer({ primary: { address: '0.0.0.0', port: 0 }, software: 'natkit' }, { network });
    await using client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const loopback = server.addresses().find((a) => a.address === '127.0.0.1');
    expect(loopback).toBeDefined();
    expect(server.addresses().every((a) => a.address !== '0.0.0.0' && a.port === loopback!.port)).toBe(true);
    const [bytes, id] = binding();
    const r = await exchange(client, loopback!, bytes, id);
    expect(r.from).toEqual(loopback);
    expect(readResponseOrigin(r.message)).toEqual(loopback);
    expect(readXorMappedAddress(r.message)).toEqual(client.local);
  });

  it('IPv6 too, where the host has an IPv6 address', async (ctx) => {
    await using server = await startStunServer({ primary: { address: '::', port: 0 } }, { network });
    const loopback = server.addresses().find((a) => a.address === '::1');
    if (loopback === undefined) return ctx.skip(); // no ::1 on this host (IPv6 disabled)
    await using client = await network.bindUdp({ family: 6, address: '::1' });
    const [bytes, id] = binding();
    const r = await exchange(client, loopback, bytes, id);
    expect(readResponseOrigin(r.message)).toEqual(loopback);
  });
});

describe('the Binding service on sockets it is given', () => {
  it('answers Binding requests on a shared socket and leaves other datagrams to the other handlers', async () => {
    await using listeners = createListenerSet({ family: 4, address: '127.0.0.1' }, { network });
    await listeners.start();
    const service = createStunBindingService({ software: 'natkit' });
    const stop = service.serveListeners(listeners);
    const shared = listeners.sockets()[0]!;
    const other: number[] = [];
    shared.onMessage((data) => other.push(data.length)); // another protocol's handler (TURN, say)
    await using client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const [bytes, id] = binding();
    const r = await exchange(client, shared.local, bytes, id);
    expect(readResponseOrigin(r.message)).toEqual(shared.local);
    expect(other).toEqual([bytes.length]);
    expect(service.sockets()).toEqual([shared]);
    stop();
    expect(service.sockets()).toEqual([]);
    const [again, againId] = binding();
    const silent = waitFor(client, againId, 300);
    client.send(again, shared.local);
    expect(await silent).toBeUndefined();
    expect(other).toEqual([bytes.length, again.length]);
    expect(service.stats()).toMatchObject({ received: 1, responded: 1, sendQueueDrops: 0 });
  });

  it('announces an advertised address in RESPONSE-ORIGIN and CHANGED-ADDRESS', async () => {
    await using socket = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    createStunBindingService({ advertised: '198.51.100.7' }).serve(socket);
    await using client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const [bytes, id] = binding();
    const r = await exchange(client, socket.local, bytes, id);
    expect(readResponseOrigin(r.message)).toEqual({ address: '198.51.100.7', port: socket.local.port });
    const legacyId = Uint8Array.from({ length: 16 }, (_, i) => i + 9);
    const legacy = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: legacyId });
    const l = await exchange(client, socket.local, legacy, legacyId);
    expect(readChangedAddress(l.message)).toEqual({ address: '198.51.100.7', port: socket.local.port });
  });
});
