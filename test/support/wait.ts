// Await an event instead of sleeping: resolves on the first matching emission, fails after a deadline.

import type { Unsubscribe } from '../../src/ports/transport';

export function waitFor<A extends unknown[]>(
  subscribe: (fn: (...args: A) => void) => Unsubscribe,
  predicate: (...args: A) => boolean = () => true,
  timeoutMs = 10_000,
  what = 'event',
): Promise<A> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let off: Unsubscribe | undefined;
    const timer = setTimeout(() => {
      settled = true;
      off?.();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    // The subscription may fire synchronously (held events are replayed to the first listener).
    off = subscribe((...args: A) => {
      if (settled || !predicate(...args)) return;
      settled = true;
      clearTimeout(timer);
      off?.();
      resolve(args);
    });
    if (settled) off();
  });
}

/** Polls a condition on a short interval; for state that has no event of its own. */
export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
