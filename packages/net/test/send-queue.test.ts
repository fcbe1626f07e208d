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

  // What the bound does on a real congested uplink (the OS queue fills, libuv queues): the lab
  // test test/lab/congested-egress.test.ts. On loopback the OS queue never fills.
  it('the Node adapter hands each datagram to the OS within send(): a burst past the bound is not pending, nothing is dropped', async () => {
    const net = createNodeNetwork({ maxSendQueueBytes: 1000 });
    await using a = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    await using b = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    let received = 0;
    const all = new Promise<void>((resolve) => b.onMessage(() => ++received === 100 && resolve()));
    // One synchronous burst of 10 KB against a 1000-byte bound: each send has left before the next
    // (no address lookup deferred by a tick), so none waits and none is dropped.
    for (let i = 0; i < 100; i++) a.send(new Uint8Array(100), b.local);
    expect(a.stats?.()).toEqual({ sendQueueBytes: 0, sendQueueDrops: 0, sendQueueDroppedBytes: 0 });
    await all;
    expect(received).toBe(100);
  });

  it('has a default bound', () => {
    expect(DEFAULT_MAX_SEND_QUEUE_BYTES).toBe(64 * 1024);
    expect(new SendQueueLimit(DEFAULT_MAX_SEND_QUEUE_BYTES).admit(DEFAULT_MAX_SEND_QUEUE_BYTES - 999, 1000)).toBe(false);
  });
});

describe('send queue fairness', () => {
  const flood = { address: '192.0.2.1', port: 40000 };
  const fresh = { address: '192.0.2.2', port: 50000 };

  it('keeps the upper half for light destinations once a heavy one has had its share', () => {
    let now = 0;
    const limit = new SendQueueLimit(1000, () => now);
    // Above half (600 queued): the flood gets 16 datagrams in the window, then waits for the queue to drain below half.
    for (let i = 0; i < 16; i++) expect(limit.admit(600, 10, flood)).toBe(true);
    limit.settleAll();
    expect(limit.admit(600, 10, flood)).toBe(false);
    expect(limit.admit(900, 10, flood)).toBe(false);
    // A fresh destination still gets in, up to the whole bound, and never past it.
    expect(limit.admit(900, 100, fresh)).toBe(true);
    limit.settleAll();
    expect(limit.admit(901, 100, fresh)).toBe(false);
    // Below half nothing is counted or refused.
    expect(limit.admit(400, 10, flood)).toBe(true);
    // A new window forgets the counts.
    now += 250;
    expect(limit.admit(600, 10, flood)).toBe(true);
    expect(limit.stats(0).sendQueueDrops).toBe(3);
  });

  it('a destination counts by address and port', () => {
    const limit = new SendQueueLimit(1000, () => 0);
    for (let i = 0; i < 16; i++) limit.admit(600, 1, flood);
    limit.settleAll();
    expect(limit.admit(600, 1, flood)).toBe(false);
    expect(limit.admit(600, 1, { ...flood, port: flood.port + 1 })).toBe(true);
  });

  it('remembers a bounded number of destinations: a spray of addresses ends the window early', () => {
    const limit = new SendQueueLimit(1e9, () => 0);
    for (let i = 0; i < 16; i++) limit.admit(6e8, 1, flood);
    expect(limit.admit(6e8, 1, flood)).toBe(false);
    for (let i = 0; i < 4096; i++) expect(limit.admit(6e8, 1, { address: '198.51.100.1', port: 1024 + i })).toBe(true);
    // The table was full: the window restarted and the flood's count with it.
    expect(limit.admit(6e8, 1, flood)).toBe(true);
  });
});
