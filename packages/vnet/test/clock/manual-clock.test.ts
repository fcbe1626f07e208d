import { describe, expect, it } from 'vitest';
import { sleep } from '@natkit/net';
import { ManualClock, VnetError } from '../../src/index.js';

describe('ManualClock', () => {
  it('fires due timers in time order, with now() at each due time, and stops at the target', async () => {
    const clock = new ManualClock({ startMs: 100 });
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['a2', clock.now()]), 10);
    clock.setTimeout(() => fired.push(['late', clock.now()]), 50);
    await clock.advance(30);
    expect(fired).toEqual([
      ['a', 110],
      ['a2', 110],
      ['b', 120],
    ]);
    expect(clock.now()).toBe(130);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runs promise continuations between timers, so chained awaits finish in one advance', async () => {
    const clock = new ManualClock();
    const steps: number[] = [];
    const task = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(clock, 10);
        steps.push(clock.now());
      }
    })();
    await clock.advance(30);
    expect(steps).toEqual([10, 20, 30]);
    await task;
  });

  it('cancelled timers never fire', async () => {
    const clock = new ManualClock();
    let fired = false;
    const t = clock.setTimeout(() => (fired = true), 5);
    t.cancel();
    t.cancel();
    await clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runUntil jumps from timer to timer until the promise settles and returns its value', async () => {
    const clock = new ManualClock();
    const value = await clock.runUntil(sleep(clock, 45_000).then(() => 'done'));
    expect(value).toBe('done');
    expect(clock.now()).toBe(45_000);
  });

  it('runUntil passes on the promise rejection', async () => {
    const clock = new ManualClock();
    const failing = sleep(clock, 5).then(() => {
      throw new Error('boom');
    });
    await expect(clock.runUntil(failing)).rejects.toThrow('boom');
  });

  it('runUntil rejects with clear codes: past maxMs, with nothing left to fire, after maxSteps', async () => {
    const clock = new ManualClock();
    const never = new Promise<void>(() => undefined);
    clock.setTimeout(() => undefined, 5_000);
    await expect(clock.runUntil(never, { maxMs: 1000 })).rejects.toMatchObject({ code: 'ERR_CLOCK_LIMIT' });
    await expect(clock.runUntil(never, { maxMs: 10_000 })).rejects.toMatchObject({ code: 'ERR_CLOCK_IDLE' });
    const tick = (): void => void clock.setTimeout(tick, 1);
    tick();
    const err = await clock.runUntil(never, { maxSteps: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VnetError);
    expect(err).toMatchObject({ code: 'ERR_CLOCK_STEPS' });
  });

  it('refuses a second concurrent advance and honours an abort signal', async () => {
    const clock = new ManualClock();
    clock.setTimeout(() => undefined, 1);
    const first = clock.advance(5);
    await expect(clock.advance(5)).rejects.toMatchObject({ code: 'ERR_CLOCK_BUSY' });
    await first;
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    clock.setTimeout(() => undefined, 1);
    await expect(clock.advance(5, { signal: controller.signal })).rejects.toThrow('stop');
  });

  it('sleep() from @natkit/net is cancelled by its signal on the manual clock too', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const slept = sleep(clock, 1000, controller.signal);
    controller.abort(new Error('aborted'));
    await expect(slept).rejects.toThrow('aborted');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('ManualClock arguments', () => {
  it('refuses NaN, negative and non-integer step counts with ERR_BAD_OPTION instead of running away', async () => {
    const clock = new ManualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 10);
    await expect(clock.advance(Number.NaN)).rejects.toMatchObject({ code: 'ERR_BAD_OPTION' });
    await expect(clock.advance(-1)).rejects.toMatchObject({ code: 'ERR_BAD_OPTION' });
    await expect(clock.runUntil(new Promise(() => {}), { maxMs: Number.NaN })).rejects.toMatchObject({ code: 'ERR_BAD_OPTION' });
    await expect(clock.advance(100, { maxSteps: 0 })).rejects.toMatchObject({ code: 'ERR_BAD_OPTION' });
    expect(() => new ManualClock({ maxSteps: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
    expect(fired).toBe(0);
    expect(clock.now()).toBe(0);
  });
});
