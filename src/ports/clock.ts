// Clock port: the only source of time and timers for the core, so the simulator can replay a run.

export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds on a monotonic-enough scale; the simulator's starts at 0. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; the returned function cancels it. */
  setTimer(ms: number, fn: () => void): CancelTimer;
  /**
   * A sub-millisecond monotonic reading, for measuring phases only (stats().phasesMs): never stored,
   * never sent to a peer. Without it, measurements use now().
   */
  precise?(): number;
}
