// Virtual clock for the simulator: time moves only when the simulation steps it, so a run is a pure
// function of its seed and script (TigerBeetle-style), and a minute of protocol time costs microseconds.
//
// Public API:
//   new VirtualClock()                             implements the Clock port; now() starts at 0
//   clock.now()                                    -> number (virtual ms)
//   clock.setTimer(ms, fn)                         -> CancelTimer (Clock port)
//   clock.scheduleAt(time, fn, arg)                -> TimerHandle (absolute time, no closure needed)
//   clock.cancel(handle)                           O(1); a no-op on a fired or cancelled timer
//   clock.step()                                   -> boolean (ran one event; false when idle)
//   clock.advance(ms)                              runs everything due up to now+ms, then now = now+ms
//   clock.runUntil(pred, { maxTime?, maxSteps? })  -> boolean (pred became true within the budget)
//   clock.runUntilIdle({ maxSteps? })              -> number of steps; throws if still busy after maxSteps
//   clock.pending()                                -> number of live (uncancelled, unfired) timers
//   clock.steps                                    -> total events run so far
//   SimTimerError                                  what a throwing timer callback surfaces as
//
// Events live in a binary min-heap ordered by (time, insertion seq): two timers due at the same
// instant fire in the order they were set, never in an order that depends on heap layout, so ties are
// deterministic. Cancellation is lazy (the entry is marked dead and skipped when it surfaces), which
// keeps cancel O(1); the heap is compacted when dead entries outnumber live ones, so timeouts that are
// almost always cancelled (request deadlines) cannot bloat it.

import type { CancelTimer, Clock } from '../ports/clock';

/** A scheduled event. Opaque to callers except as an argument to `cancel`. */
export class TimerHandle {
  /** @internal */ fn: ((arg: never) => void) | null;
  constructor(
    /** Virtual time at which the event fires. */
    readonly time: number,
    /** @internal insertion order, the tie-breaker. */ readonly seq: number,
    fn: (arg: never) => void,
    /** @internal */ public arg: unknown,
  ) {
    this.fn = fn;
  }
}

/** A timer callback threw: carries the virtual time and step so the failure can be replayed. */
export class SimTimerError extends Error {
  constructor(
    readonly time: number,
    readonly step: number,
    cause: unknown,
  ) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    super(`timer callback threw at virtual time ${time} ms (step ${step}): ${inner}`, { cause });
    this.name = 'SimTimerError';
  }
}

export interface RunUntilOptions {
  /** Virtual ms, counted from the call, after which to give up (the clock is left at that time). */
  maxTime?: number;
  /** Events, counted from the call, after which to give up. Default 10,000,000. */
  maxSteps?: number;
}

const DEFAULT_MAX_STEPS = 10_000_000;

export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private heap: TimerHandle[] = [];
  private live = 0;
  /** Events run so far; with the seed, it pinpoints where a failing run went wrong. */
  steps = 0;
  /** The last callback failure, kept after it was thrown so a harness can still report it. */
  lastError: SimTimerError | undefined;

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): CancelTimer {
    // Like setTimeout: negative or NaN delays mean "as soon as possible", never "in the past".
    const delay = ms > 0 ? ms : 0;
    const handle = this.scheduleAt(this.time + delay, callThunk, fn);
    return () => this.cancel(handle);
  }

  /** Schedules `fn(arg)` at absolute virtual time `time` (clamped to now). Hot paths pass a shared `fn`. */
  scheduleAt<T>(time: number, fn: (arg: T) => void, arg: T): TimerHandle {
    const at = time > this.time ? time : this.time;
    const handle = new TimerHandle(at, this.seq++, fn as (arg: never) => void, arg);
    this.push(handle);
    this.live++;
    return handle;
  }

  cancel(handle: TimerHandle): void {
    if (handle.fn === null) return;
    handle.fn = null;
    handle.arg = undefined;
    this.live--;
    if (this.heap.length > 1024 && this.live * 2 < this.heap.length) this.compact();
  }

  pending(): number {
    return this.live;
  }

  /** Virtual time of the next live event, or undefined when idle. */
  nextTime(): number | undefined {
    return this.peekLive()?.time;
  }

  /** Runs the next event, advancing now to its time. False when nothing is scheduled. */
  step(): boolean {
    const handle = this.peekLive();
    if (handle === undefined) return false;
    this.pop();
    this.fire(handle);
    return true;
  }

  /** Runs every event due up to now+ms (including ones those events schedule), then sets now = now+ms. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(ms) needs ms >= 0, got ${ms}`);
    const target = this.time + ms;
    this.runTo(target);
    this.time = target;
  }

  /** Steps until `predicate()` holds. False if the clock went idle or a budget ran out first. */
  runUntil(predicate: () => boolean, options: RunUntilOptions = {}): boolean {
    const deadline = options.maxTime === undefined ? Infinity : this.time + options.maxTime;
    const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    for (let n = 0; !predicate(); n++) {
      if (n >= maxSteps) return false;
      const next = this.peekLive();
      if (next === undefined || next.time > deadline) {
        if (deadline !== Infinity) this.time = deadline;
        return predicate();
      }
      this.pop();
      this.fire(next);
    }
    return true;
  }

  /** Runs until nothing is scheduled. Throws if still busy after `maxSteps` (a periodic timer, a livelock). */
  runUntilIdle(options: { maxSteps?: number } = {}): number {
    const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    let n = 0;
    while (this.step()) {
      if (++n >= maxSteps && this.live > 0) {
        throw new Error(`clock not idle after ${n} steps at virtual time ${this.time} ms (${this.live} pending)`);
      }
    }
    return n;
  }

  private runTo(target: number): void {
    for (let next = this.peekLive(); next !== undefined && next.time <= target; next = this.peekLive()) {
      this.pop();
      this.fire(next);
    }
  }

  private fire(handle: TimerHandle): void {
    const fn = handle.fn as (arg: unknown) => void;
    const arg = handle.arg;
    handle.fn = null;
    handle.arg = undefined;
    this.live--;
    this.time = handle.time;
    this.steps++;
    try {
      fn(arg);
    } catch (err) {
      // A simulation must fail loudly and replayably: name the virtual time and the step.
      this.lastError = err instanceof SimTimerError ? err : new SimTimerError(handle.time, this.steps, err);
      throw this.lastError;
    }
  }

  /** The top of the heap after discarding cancelled entries, without removing it. */
  private peekLive(): TimerHandle | undefined {
    const heap = this.heap;
    while (heap.length > 0 && (heap[0] as TimerHandle).fn === null) this.pop();
    return heap[0];
  }

  private push(handle: TimerHandle): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(handle);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as TimerHandle;
      if (!before(handle, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = handle;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as TimerHandle;
    if (heap.length === 0) return;
    siftDown(heap, 0, last);
  }

  /** Drops cancelled entries and re-heapifies in O(n). */
  private compact(): void {
    const heap = this.heap.filter((h) => h.fn !== null);
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i, heap[i] as TimerHandle);
    this.heap = heap;
  }
}

function siftDown(heap: TimerHandle[], start: number, item: TimerHandle): void {
  const n = heap.length;
  let i = start;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    let child = left;
    if (right < n && before(heap[right] as TimerHandle, heap[left] as TimerHandle)) child = right;
    const c = heap[child] as TimerHandle;
    if (!before(c, item)) break;
    heap[i] = c;
    i = child;
  }
  heap[i] = item;
}

function before(x: TimerHandle, y: TimerHandle): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}

function callThunk(fn: () => void): void {
  fn();
}
