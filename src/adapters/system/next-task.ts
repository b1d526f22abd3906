// nextTask(fn): runs fn in a new task, behind the tasks already queued (messages, storage events).
//
// Why not a microtask: work that costs per call (a data-channel send) is cheapest batched, and a
// loaded tab's messages arrive one task each, so a microtask batch holds little. A task queued
// now runs once the events already waiting have been handled, gathering what they produce; on an
// idle tab it runs at once. Why a MessageChannel and not setTimeout(0): timers may be clamped
// (nested timers to 4 ms, background tabs to 1 s); posted messages are not.
// loopBusy() says whether batching across tasks is worth its latency now (see there).

type Task = () => void;

let queued: Task[] = [];
let post: (() => void) | undefined;
/** When the queued batch was posted, and how late the last batch ran (the event loop's lag). */
let postedAt = 0;
let lag = 0;
let lagAt = -Infinity;

/** A batch that ran this much after it was posted means other tasks were waiting: the loop is busy. */
const BUSY_LAG_MS = 1;
/** A lag measured longer ago than this says nothing about now. */
const LAG_FRESH_MS = 100;

export function nextTask(fn: Task): void {
  queued.push(fn);
  if (queued.length === 1) {
    postedAt = performance.now();
    (post ??= channel())();
  }
}

/**
 * True when the last task this module queued waited behind others (within the last 100 ms): work
 * that batches by task (a data-channel send) should then wait a task and gather more; otherwise a
 * microtask is enough, and waiting would only add latency.
 */
export function loopBusy(): boolean {
  const now = performance.now();
  // Callers that find the loop idle use microtasks, so no task of ours may run for a while: post an
  // empty one to measure the lag again (a loaded tab would otherwise be taken for idle for ever).
  if (now - lagAt >= LAG_FRESH_MS && queued.length === 0) nextTask(() => {});
  return lag > BUSY_LAG_MS && now - lagAt < LAG_FRESH_MS;
}

function runQueued(): void {
  lagAt = performance.now();
  lag = lagAt - postedAt;
  const tasks = queued;
  queued = [];
  for (const t of tasks) {
    try {
      t();
    } catch (err) {
      // One failing task must not starve the rest; the error still surfaces.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

function channel(): () => void {
  if (typeof MessageChannel === 'undefined') return () => setTimeout(runQueued, 0);
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = runQueued;
  // Node: a listening port would keep the process alive on its own.
  (port1 as { unref?: () => void }).unref?.();
  return () => port2.postMessage(null);
}
