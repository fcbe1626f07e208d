import { describe, expect, it } from 'vitest';
import { createNodeNetwork, DEFAULT_MAX_SEND_QUEUE_BYTES } from '../src/index.js';
import { SendQueueLimit } from '../src/node/send-queue.js';

describe('send queue bound', () => {
  it.each([
    // queued in the OS adapter, pending before, length, admitted
    { queued: 0, pending: 0, length: 5000, admitted: true }, // empty queue: even an over-large datagram goes
    { queued: 600, pending: 0, length: 400, admitted: true }, // exactly fits
    { queued: 600, pending: 0, length: 401, admitted: false },
    { queued: 0, pending: 600, length: 401, admitted: false }, // deferred sends count too
    { queued: 300, pending: 300, length: 400, admitted: true },
    { queued: 1500, pending: 0, length: 1, admitted: false },
  ])('queued $queued + pending $pending + $length bytes against 1000: admitted $admitted', ({ queued, pending, length, admitted }) => {
    const limit = new SendQueueLimit(1000);
    if (pending > 0) expect(limit.admit(0, pending)).toBe(true);
    expect(limit.admit(queued, length)).toBe(admitted);
    expect(limit.stats(queued)).toEqual({
      sendQueueBytes: queued + pending + (admitted ? length : 0),
      sendQueueDrops: admitted ? 0 : 1,
      sendQueueDroppedBytes: admitted ? 0 : length,
    });
  });

  it('settles what reached the OS queue, never below zero', () => {
    const limit = new SendQueueLimit(100);
    expect(limit.admit(0, 80)).toBe(true);
    expect(limit.admit(0, 80)).toBe(false);
    limit.settle(80);
    limit.settle(80);
    expect(limit.stats(0).sendQueueBytes).toBe(0);
    expect(limit.admit(0, 80)).toBe(true);
  });

  it('no bound with Infinity', () => {
    const limit = new SendQueueLimit(Infinity);
    for (let i = 0; i < 1000; i++) expect(limit.admit(1e9, 65_507)).toBe(true);
  });

  it('the Node adapter drops and counts a burst that does not fit its bound, and sends the rest', async () => {
    const net = createNodeNetwork({ maxSendQueueBytes: 1000 });
    await using a = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    await using b = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    let received = 0;
    const ten = new Promise<void>((resolve) => b.onMessage(() => ++received === 10 && resolve()));
    // One synchronous burst: dgram defers each send by a tick, so its queue shows none of them yet.
    for (let i = 0; i < 100; i++) a.send(new Uint8Array(100), b.local);
    expect(a.stats?.()).toMatchObject({ sendQueueDrops: 90, sendQueueDroppedBytes: 9000 });
    await ten;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toBe(10);
    expect(a.stats?.()).toEqual({ sendQueueBytes: 0, sendQueueDrops: 90, sendQueueDroppedBytes: 9000 });
  });

  it('has a default bound', async () => {
    expect(DEFAULT_MAX_SEND_QUEUE_BYTES).toBe(64 * 1024);
    await using a = await createNodeNetwork().bindUdp({ family: 4, address: '127.0.0.1' });
    for (let i = 0; i < 300; i++) a.send(new Uint8Array(1000), { address: '127.0.0.1', port: a.local.port });
    expect(a.stats?.().sendQueueDrops).toBe(300 - Math.floor(DEFAULT_MAX_SEND_QUEUE_BYTES / 1000));
  });
});
