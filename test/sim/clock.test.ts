// Virtual clock: event order by (time, insertion), cancellation, advance/runUntil/runUntilIdle, errors;
// and the auto-advance driver that runs it under real async code.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimTimerError, VirtualClock } from '../../src/sim/clock';
import { autoAdvance } from '../../src/sim/drive';

describe('VirtualClock', () => {
  it('starts at 0 and only moves when driven', () => {
    const clock = new VirtualClock();
    expect(clock.now()).toBe(0);
    clock.setTimer(100, () => {});
    expect(clock.now()).toBe(0);
    expect(clock.pending()).toBe(1);
    expect(clock.step()).toBe(true);
    expect(clock.now()).toBe(100);
    expect(clock.step()).toBe(false);
  });

  it('fires by time, and ties in insertion order', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimer(30, () => log.push('c'));
    clock.setTimer(10, () => log.push('a1'));
    clock.setTimer(20, () => log.push('b'));
    clock.setTimer(10, () => log.push('a2'));
    clock.setTimer(10, () => {
      log.push('a3');
      clock.setTimer(0, () => log.push('a3-child')); // same instant, but set later: after a4
    });
    clock.setTimer(10, () => log.push('a4'));
    clock.runUntilIdle();
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4', 'a3-child', 'b', 'c']);
  });

  it('orders any schedule by (time, insertion)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (delays) => {
        const clock = new VirtualClock();
        const fired: number[] = [];
        delays.forEach((d, i) => clock.setTimer(d, () => fired.push(i)));
        clock.runUntilIdle();
        const want = delays.map((d, i) => [d, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect(fired).toEqual(want.map(([, i]) => i));
      }),
    );
  });

  it('cancels in O(1), idempotently, and ignores cancels after firing', () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    const c1 = clock.setTimer(5, () => log.push(1));
    const c2 = clock.setTimer(5, () => log.push(2));
    clock.setTimer(5, () => log.push(3));
    c2();
    c2();
    expect(clock.pending()).toBe(2);
    clock.runUntilIdle();
    c1();
    expect(log).toEqual([1, 3]);
    expect(clock.pending()).toBe(0);
  });

  it('keeps order when most timers are cancelled (heap compaction)', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const cancels = Array.from({ length: 5000 }, (_, i) => clock.setTimer(5000 - i, () => fired.push(5000 - i)));
    cancels.forEach((cancel, i) => i % 10 !== 0 && cancel());
    expect(clock.pending()).toBe(500);
    clock.runUntilIdle();
    expect(fired).toHaveLength(500);
    expect(fired).toEqual([...fired].sort((a, b) => a - b));
  });

  it('advance runs what is due, including what that schedules, then lands on now+ms', () => {
    const clock = new VirtualClock();
    const log: number[] = [];
    clock.setTimer(10, () => {
      log.push(clock.now());
      clock.setTimer(5, () => log.push(clock.now()));
      clock.setTimer(50, () => log.push(clock.now()));
    });
    clock.advance(20);
    expect(log).toEqual([10, 15]);
    expect(clock.now()).toBe(20);
    clock.advance(40);
    expect(log).toEqual([10, 15, 60]);
    expect(clock.now()).toBe(60);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('treats negative and NaN delays as zero, never as the past', () => {
    const clock = new VirtualClock();
    clock.advance(10);
    let at = -1;
    clock.setTimer(-5, () => (at = clock.now()));
    clock.setTimer(NaN, () => {});
    clock.runUntilIdle();
    expect(at).toBe(10);
  });

  it('runUntil stops when the predicate holds, or reports a budget ran out', () => {
    const clock = new VirtualClock();
    let ticks = 0;
    const tick = () => {
      ticks++;
      clock.setTimer(10, tick);
    };
    clock.setTimer(10, tick);
    expect(clock.runUntil(() => ticks === 5)).toBe(true);
    expect(clock.now()).toBe(50);
    expect(clock.runUntil(() => ticks === 100, { maxTime: 100 })).toBe(false);
    expect(clock.now()).toBe(150);
    expect(ticks).toBe(15);
    expect(clock.runUntil(() => false, { maxSteps: 3 })).toBe(false);
    expect(ticks).toBe(18);
    expect(() => clock.runUntilIdle({ maxSteps: 100 })).toThrow(/not idle after 100 steps/);
  });

  it('runUntil returns false when the clock goes idle first', () => {
    const clock = new VirtualClock();
    clock.setTimer(1, () => {});
    expect(clock.runUntil(() => false)).toBe(false);
    expect(clock.runUntil(() => true)).toBe(true);
  });

  it('rethrows a failing callback from the driving call, with the virtual time', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimer(7, () => log.push('before'));
    clock.setTimer(42, () => {
      throw new Error('boom');
    });
    clock.setTimer(50, () => log.push('after'));
    let caught: unknown;
    try {
      clock.runUntilIdle();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SimTimerError);
    const err = caught as SimTimerError;
    expect(err.message).toMatch(/virtual time 42 ms.*boom/);
    expect(err.time).toBe(42);
    expect((err.cause as Error).message).toBe('boom');
    expect(clock.lastError).toBe(err);
    // The clock stays consistent: the failed event is consumed and the rest still runs.
    clock.runUntilIdle();
    expect(log).toEqual(['before', 'after']);
  });

  it('scheduleAt takes an absolute time and an argument without a closure', () => {
    const clock = new VirtualClock();
    const got: Array<[number, string]> = [];
    const fn = (s: string) => got.push([clock.now(), s]);
    clock.scheduleAt(30, fn, 'x');
    const h = clock.scheduleAt(20, fn, 'y');
    clock.scheduleAt(10, fn, 'z');
    clock.cancel(h);
    expect(clock.nextTime()).toBe(10);
    clock.runUntilIdle();
    expect(got).toEqual([
      [10, 'z'],
      [30, 'x'],
    ]);
    expect(clock.steps).toBe(2);
  });
});

describe('autoAdvance', () => {
  const sleep = (clock: VirtualClock, ms: number) => new Promise<void>((r) => clock.setTimer(ms, r));

  it('runs virtual time while real async code awaits it, and stops when told', async () => {
    const clock = new VirtualClock();
    const stop = autoAdvance(clock);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(clock, 60_000); // a virtual minute, in real microseconds
      seen.push(clock.now());
    }
    expect(seen).toEqual([60_000, 120_000, 180_000]);
    stop();
    let fired = false;
    clock.setTimer(1, () => (fired = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(false);
  });

  it('hands a failing callback to onError and stops', async () => {
    const clock = new VirtualClock();
    const errors: unknown[] = [];
    autoAdvance(clock, { stepsPerTick: 10, onError: (e) => errors.push(e) });
    clock.setTimer(5, () => {
      throw new Error('bad');
    });
    clock.setTimer(6, () => {});
    await new Promise((r) => setTimeout(r, 20));
    expect(errors).toHaveLength(1);
    expect((errors[0] as SimTimerError).time).toBe(5);
    expect(clock.pending()).toBe(1);
  });
});
