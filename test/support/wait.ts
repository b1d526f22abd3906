// Await an event instead of sleeping: resolves on the first matching emission, fails after a deadline.

import type { Unsubscribe } from '../../src/ports/transport';

export function waitFor<A extends unknown[]>(
  subscribe: (fn: (...args: A) => void) => Unsubscribe,
  predicate: (...args: A) => boolean = () => true,
  timeoutMs = 10_000,
  what = 'event',
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const off = subscribe((...args: A) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
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
