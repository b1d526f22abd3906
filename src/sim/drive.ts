// Auto-advance driver: runs a VirtualClock forward whenever real async code is idle, so tests written
// against real promises and real-time deadlines (the shared contract suites) can run on the simulator.
//
// Public API:
//   autoAdvance(clock, { stepsPerTick?, onError? })  -> stop: () => void
//
// This is the one file in src/sim that touches real timers, and it is deliberately separate: a
// deterministic simulation drives the clock itself (step/advance/runUntil) and never imports this.
// Under auto-advance, virtual time is still exact but the interleaving with real async code depends
// on the event loop, so runs driven this way are not replayable from a seed.
//
// Why setImmediate: it fires after pending promise continuations have run, so with stepsPerTick = 1
// every virtual event is followed by all the async reactions it causes before the next event, as if
// each event were a macrotask. Larger batches are faster but let several events pass between awaits.

import type { VirtualClock } from './clock';

export interface AutoAdvanceOptions {
  /** Clock events per real macrotask. Default 1 (the most faithful interleaving). */
  stepsPerTick?: number;
  /** Where a failing timer callback goes; by default it is rethrown as an uncaught error, loudly. */
  onError?: (err: unknown) => void;
}

/** Idle polling period (real ms) while nothing is scheduled, so an idle clock does not spin a core. */
const IDLE_POLL_MS = 1;

export function autoAdvance(clock: VirtualClock, options: AutoAdvanceOptions = {}): () => void {
  const stepsPerTick = options.stepsPerTick ?? 1;
  if (!(Number.isInteger(stepsPerTick) && stepsPerTick >= 1)) throw new RangeError(`stepsPerTick must be a positive integer`);
  let stopped = false;
  let cancel: () => void = () => {};

  const tick = (): void => {
    if (stopped) return;
    let ran = 0;
    try {
      while (ran < stepsPerTick && clock.step()) ran++;
    } catch (err) {
      stopped = true;
      if (options.onError) return options.onError(err);
      throw err;
    }
    cancel = ran > 0 ? soon(tick) : later(tick, IDLE_POLL_MS);
  };

  cancel = soon(tick);
  return () => {
    stopped = true;
    cancel();
  };
}

/** The next macrotask after the current promise continuations (setImmediate, or a 0 ms timeout). */
function soon(fn: () => void): () => void {
  if (typeof globalThis.setImmediate === 'function') {
    const h = globalThis.setImmediate(fn);
    return () => globalThis.clearImmediate(h);
  }
  return later(fn, 0);
}

function later(fn: () => void, ms: number): () => void {
  const h = setTimeout(fn, ms);
  return () => clearTimeout(h);
}
