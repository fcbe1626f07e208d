/**
 * Heartbeats in virtual time. Server and clients share one ManualClock; real WebSockets carry
 * every message. With wall-clock heartbeats of 50-150 ms a loaded machine made the tests lie: an
 * event loop held up for a couple of hundred ms dropped clients that did answer (even one still in
 * its register handshake). Here time moves only in bounded steps, and after each step the test
 * waits (bounded in real time) for what the step caused to arrive, however slow the machine.
 */
import { ManualClock } from '@natkit/vnet';
import { describe, expect, it, vi } from 'vitest';
import { MemoryPresenceStore } from '../../src/index.js';
import { connectClient, newIdentity, portRestricted, RawClient, startServer } from '../fixtures.js';
import { startDelayProxy } from './delay-proxy.js';

/** The in-memory store, noting when (on the server's clock) each peer's presence was last refreshed. */
class TouchRecordingStore extends MemoryPresenceStore {
  readonly touchedAt = new Map<string, number>();

  override async touch(peerId: string, sessionId: string, ttlMs: number, now: number): Promise<boolean> {
    const owned = await super.touch(peerId, sessionId, ttlMs, now);
    if (owned) this.touchedAt.set(peerId, now);
    return owned;
  }
}

/** Advances `clock` in `stepMs` steps (at most `maxSteps`) until `done()`; returns the time it became true, or null. */
async function advanceUntil(clock: ManualClock, done: () => boolean, stepMs: number, maxSteps: number): Promise<number | null> {
  for (let i = 0; i < maxSteps; i++) {
    await clock.advance(stepMs);
    if (done()) return clock.now();
  }
  return null;
}

describe('heartbeat and presence', () => {
  it('a registered client that stops answering pings is closed and its peer id leaves', async () => {
    const clock = new ManualClock();
    const server = await startServer({ heartbeatMs: 60, tickMs: 15 }, { clock });
    try {
      const silent = newIdentity();
      const raw = await RawClient.open(server.url);
      await raw.register(silent); // heard from at t = 0
      await clock.advance(15);
      await raw.next('ping'); // the first tick pinged it; it never answers
      const closedAt = await advanceUntil(clock, () => server.stats().closed['heartbeat-timeout'] === 1, 5, 60);
      // Silent for more than 2.5 heartbeats (150 ms), closed at the first tick past that.
      expect(closedAt).toBe(165);
      await raw.closed;
      expect(server.stats().closed).toEqual({ 'heartbeat-timeout': 1 });
      // The clock stands still from here on: nobody else can time out.
      const alice = await connectClient(server.url, newIdentity(), 1, portRestricted, { clock });
      await expect(alice.connect(silent.peerId)).rejects.toMatchObject({ code: 'unknown-peer' });
    } finally {
      await clock.runUntil(server.close());
    }
  });

  it('a client that answers stays registered across many heartbeats', async () => {
    const clock = new ManualClock();
    const store = new TouchRecordingStore();
    const server = await startServer({ heartbeatMs: 150, tickMs: 20, presenceTtlMs: 400 }, { clock, store });
    try {
      const alice = await connectClient(server.url, newIdentity(), 1, portRestricted, { clock });
      const bob = await connectClient(server.url, newIdentity(), 2, portRestricted, { clock });
      // Each step of a heartbeat and a tick holds at least one ping to each client; both pongs must
      // refresh their presence before the next step. 7 steps: 1190 ms, far past the 400 ms TTL.
      for (let i = 0; i < 7; i++) {
        const from = clock.now();
        await clock.advance(150 + 20);
        await vi.waitFor(
          () => {
            for (const peer of [alice, bob]) expect(store.touchedAt.get(peer.peerId), `step ${i}: a pong from ${peer.peerId}`).toBeGreaterThan(from);
          },
          { timeout: 5_000, interval: 5 },
        );
      }
      expect(server.stats()).toMatchObject({ registered: 2 });
      expect(server.stats().closed).toEqual({});
      await expect(alice.connect(bob.peerId)).resolves.toMatchObject({ role: 'initiator' });
    } finally {
      await clock.runUntil(server.close());
    }
  });

  it('the client library drops a server that went silent (3 heartbeats)', async () => {
    const clock = new ManualClock();
    const server = await startServer({ heartbeatMs: 50, tickMs: 10 }, { clock });
    const proxy = await startDelayProxy(server.port, 0);
    try {
      const alice = await connectClient(`ws://127.0.0.1:${proxy.port}/rendezvous`, newIdentity(), 1, portRestricted, { clock });
      const closed = new Promise<number>((resolve) => alice.on('close', ({ code }) => resolve(code)));
      proxy.stall(); // last heard from the server: `registered`, at t = 0
      const droppedAt = await advanceUntil(clock, () => alice.ws.readyState !== alice.ws.OPEN, 5, 100);
      expect(droppedAt).toBe(3 * 50);
      expect(await closed).toBe(1006);
    } finally {
      await proxy.close();
      await clock.runUntil(server.close());
    }
  });
});
