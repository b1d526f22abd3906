// next-task.ts: tasks run behind the queued ones, and loopBusy() tells a busy event loop from an idle one.

import { describe, expect, it } from 'vitest';
import { loopBusy, nextTask } from '../../src/adapters/system/next-task';

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // keep the event loop busy, as a loaded tab's message handling does
  }
};
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('nextTask and loopBusy', () => {
  it('runs tasks in order, after the current one', async () => {
    const order: number[] = [];
    nextTask(() => order.push(1));
    nextTask(() => order.push(2));
    order.push(0);
    await later(10);
    expect(order).toEqual([0, 1, 2]);
  });

  it('finds a busy loop busy even when every caller took the idle path (no task of its own queued)', async () => {
    await later(150); // any earlier measurement is stale now
    expect(loopBusy()).toBe(false); // stale: taken for idle, and a probe task is posted
    spin(5); // the probe waits behind this
    // Runs in the same batch as the probe, right after the lag was measured (a timer could come late).
    await new Promise<void>((r) => nextTask(r));
    expect(loopBusy()).toBe(true);
    await later(150);
    expect(loopBusy()).toBe(false);
  });
});
