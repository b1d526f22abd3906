// The misbehaving disk (src/sim/faulty-storage.ts) and the per-node clock (src/sim/node-time.ts):
// each fault does what the model says, so the swarm's findings are the core's and not the harness's.

import { describe, expect, it } from 'vitest';
import { StorageFullError } from '../../src/ports/errors';
import type { KeyRecord } from '../../src/ports/storage';
import { VirtualClock } from '../../src/sim/clock';
import { FaultyBacking, NO_STORAGE_FAULTS, SimReadError, type StorageFaults } from '../../src/sim/faulty-storage';
import { NodeTime, NO_TIME_FAULTS, WALL_EPOCH_MS } from '../../src/sim/node-time';
import { seededRandom } from '../../src/sim/random';

const rec = (key: string, value = key): KeyRecord => ({ key, partition: 0, value });

function disk(faults: Partial<StorageFaults>) {
  const clock = new VirtualClock();
  const b = new FaultyBacking(clock, seededRandom(1), { ...NO_STORAGE_FAULTS, ...faults });
  return { clock, b, s: b.open() };
}

/** Lets the promise reactions of the last clock event run. */
const flush = () => new Promise((r) => setImmediate(r));

describe('FaultyBacking', () => {
  it('a write is durable, and resolves, only once its latency has passed', async () => {
    const { clock, b, s } = disk({ writeMs: [10, 10] });
    let done = false;
    void s.put(rec('a')).then(() => (done = true));
    clock.advance(9);
    await flush();
    expect([b.keys.has('a'), done]).toEqual([false, false]);
    clock.advance(1);
    await flush();
    expect([b.keys.has('a'), done]).toEqual([true, true]);
  });

  it('operations complete in the order they were issued: a read sees every earlier write', async () => {
    const { clock, s } = disk({ writeMs: [50, 50], readMs: [0, 0] });
    void s.put(rec('a', 'slow'));
    const read = s.get('a');
    clock.advance(50);
    expect((await read)?.value).toBe('slow');
  });

  it('a crash keeps a prefix of the queued writes and loses the rest, and nothing it lost ever resolves', async () => {
    const { b, s } = disk({ writeMs: [5, 5], durableAtCrash: 0 });
    let settled = false;
    for (const k of ['a', 'b', 'c']) void s.put(rec(k)).finally(() => (settled = true));
    b.retire();
    await flush();
    expect([...b.keys.keys()]).toEqual([]);
    expect(settled).toBe(false);
    const kept = disk({ writeMs: [5, 5], durableAtCrash: 1 });
    for (const k of ['a', 'b', 'c']) void kept.s.put(rec(k));
    kept.b.retire();
    expect([...kept.b.keys.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('a torn batch keeps only a prefix of its records', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const clock = new VirtualClock();
      const b = new FaultyBacking(clock, seededRandom(seed), { ...NO_STORAGE_FAULTS, writeMs: [5, 5], tornBatches: true });
      void b.open().putMany(['a', 'b', 'c', 'd'].map((k) => rec(k)));
      b.retire();
      await flush();
      const held = [...b.keys.keys()].sort();
      expect(held).toEqual(['a', 'b', 'c', 'd'].slice(0, held.length));
      expect(held.length).toBeLessThan(4);
    }
  });

  it('a full disk refuses writes with StorageFullError and still serves reads, until the window ends', async () => {
    const { clock, b, s } = disk({});
    await s.put(rec('a'));
    b.armed = true;
    b.fill(100);
    await expect(s.put(rec('b'))).rejects.toBeInstanceOf(StorageFullError);
    await expect(s.putMeta('m', 1)).rejects.toBeInstanceOf(StorageFullError);
    expect((await s.get('a'))?.value).toBe('a');
    clock.advance(100);
    await s.put(rec('b'));
    expect(b.keys.has('b')).toBe(true);
  });

  it('reads fail only while the disk is armed, and a failed read changes nothing', async () => {
    const { b, s } = disk({ readErrorRate: 1 });
    await s.put(rec('a'));
    expect((await s.get('a'))?.value).toBe('a');
    b.armed = true;
    await expect(s.get('a')).rejects.toBeInstanceOf(SimReadError);
    await expect(s.listMeta('')).rejects.toBeInstanceOf(SimReadError);
    b.calm();
    expect((await s.get('a'))?.value).toBe('a');
  });
});

describe('NodeTime', () => {
  it('reads as a real wall clock: from the epoch, skewed, drifting, and stepped by jumps', () => {
    const exact = new NodeTime(NO_TIME_FAULTS, seededRandom(1));
    expect(exact.read(5)).toBe(WALL_EPOCH_MS + 5);
    expect(exact.delay(100)).toBe(100);
    const t = new NodeTime({ ...NO_TIME_FAULTS, skewMs: 1000, driftRate: 0.1 }, seededRandom(2));
    const skew = t.read(0) - WALL_EPOCH_MS;
    expect(Math.abs(skew)).toBeLessThanOrEqual(1000);
    expect(t.read(1000) - t.read(0)).toBeCloseTo(1000 * (1 + t.rate));
    // A timer lasts `ms` as measured by the node's own clock.
    expect(t.read(t.delay(500)) - t.read(0)).toBeCloseTo(500);
    t.jump(-60_000);
    expect(t.read(0) - WALL_EPOCH_MS).toBe(skew - 60_000);
  });

  it('late timers fire late, never early, and are on time once calmed', () => {
    const t = new NodeTime({ ...NO_TIME_FAULTS, lateTimerRate: 1, lateMs: 1000 }, seededRandom(3));
    const delays = Array.from({ length: 50 }, () => t.delay(100));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...delays)).toBeGreaterThan(100);
    t.calm();
    expect(t.delay(100)).toBe(100);
  });
});
