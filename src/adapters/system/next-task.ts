// nextTask(fn): runs fn in a new task, behind the tasks already queued (messages, storage events).
//
// Why not a microtask: work that costs per call (a data-channel send) is cheapest batched, and a
// loaded tab's messages arrive one task each, so a microtask batch holds little. A task queued
// now runs once the events already waiting have been handled, gathering what they produce; on an
// idle tab it runs at once. Why a MessageChannel and not setTimeout(0): timers may be clamped
// (nested timers to 4 ms, background tabs to 1 s); posted messages are not.

type Task = () => void;

let queued: Task[] = [];
let post: (() => void) | undefined;

export function nextTask(fn: Task): void {
  queued.push(fn);
  if (queued.length === 1) (post ??= channel())();
}

function runQueued(): void {
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
