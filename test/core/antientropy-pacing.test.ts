// Anti-entropy pacing (antientropy.ts): exchanges `gapMs` apart within a sweep, `sweepPauseMs` after it.

import { expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { AntiEntropy } from '../../src/core/antientropy';
import type { Ring } from '../../src/core/protocol/ring';
import type { Clock } from '../../src/ports/clock';

/** A clock whose timers run only when the test says, recording each delay asked for. */
function manualClock() {
  const timers: Array<() => void> = [];
  const delays: number[] = [];
  const clock: Clock = {
    now: () => 0,
    setTimer: (ms, fn) => {
      delays.push(ms);
      timers.push(fn);
      return () => {};
    },
  };
  return { clock, delays, runNext: () => timers.shift()?.() };
}

it('pauses sweepPauseMs after each whole sweep, not only when there is nothing to sweep', async () => {
  const { clock, delays, runNext } = manualClock();
  const placement = { replicates: () => true, coReplicas: () => [] };
  const io = { send: () => {}, push: async () => true, onRepair: () => {} };
  const ring = () => ({ q: 2 }) as Ring;
  const aae = new AntiEntropy({ self: 'a', q: 2, clock, random: { next: () => 0 }, storage: memoryStorage(), ring, placement, ...io, gapMs: 1, sweepPauseMs: 500, exchangeTimeoutMs: 1000 });
  aae.start();
  await new Promise((r) => setImmediate(r)); // the trees are built from (empty) storage first
  for (let i = 0; i < 7; i++) runNext();
  // Two partitions a sweep, no co-replica to compare with: gap, pause, gap, pause...
  expect(delays.slice(1, 7)).toEqual([1, 500, 1, 500, 1, 500]);
  aae.stop();
});
