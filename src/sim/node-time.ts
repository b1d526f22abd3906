// Each node's own clock (issue 17, item 2; VOPR's per-replica clock offsets): a skewed, drifting
// wall clock that jumps now and then, and timers that fire late, over the one shared VirtualClock.
//
// Public API:
//   new NodeTime(faults, rng)       one machine's clock; a tab restarted on it keeps it
//   .read(t)                        what Date.now() says on this machine at virtual time t
//                                   (from WALL_EPOCH_MS, not 0: what a real clock reads)
//   .delay(ms)                      virtual ms after which a setTimer(ms) on this machine fires
//   .calm()                         timers on time again (the end of the faults)
//   .jump(ms)                       the wall clock steps by ms (forward: the machine slept or NTP
//                                   caught up; backward: NTP stepped it back)
//   NO_TIME_FAULTS
//
// Why a wall clock that is neither shared nor monotonic: the browser's Clock adapter is Date.now(),
// which is set per machine, runs at its own rate and is stepped by NTP in either direction; only
// setTimeout is monotonic. So skew, drift and jumps change what now() says, and timers keep their
// length on the node's own oscillator (ms / (1 + rate)) plus lateness: a hidden tab's timers are
// throttled to a second or more (Chrome's intensive throttling: a minute), so a timer may fire late,
// never early.

export interface TimeFaults {
  /** The clock starts off by up to ±skewMs. */
  skewMs: number;
  /** It runs fast or slow by up to ±driftRate (0.01: 36 s an hour). */
  driftRate: number;
  /** Chance a timer fires late, and by up to how many virtual ms. */
  lateTimerRate: number;
  lateMs: number;
}

export const NO_TIME_FAULTS: TimeFaults = { skewMs: 0, driftRate: 0, lateTimerRate: 0, lateMs: 0 };

/**
 * Where the wall clocks start (2023-11-14): Date.now() is never near 0, and a skew or a backward
 * jump from virtual time 0 would read negative, which no real clock does.
 */
export const WALL_EPOCH_MS = 1_700_000_000_000;

/** The slice of SeededRandom this needs (next in [0, 1)). */
interface Rng {
  next(): number;
  chance(p: number): boolean;
}

/** What the cluster's per-node Clock asks of a time model. */
export interface NodeTimeModel {
  read(t: number): number;
  delay(ms: number): number;
}

export class NodeTime implements NodeTimeModel {
  private offset: number;
  readonly rate: number;

  constructor(
    private faults: TimeFaults,
    private readonly rng: Rng,
  ) {
    this.offset = Math.round((rng.next() * 2 - 1) * faults.skewMs);
    this.rate = (rng.next() * 2 - 1) * faults.driftRate;
  }

  read(t: number): number {
    return WALL_EPOCH_MS + t + this.offset + t * this.rate;
  }

  delay(ms: number): number {
    const own = ms / (1 + this.rate);
    const f = this.faults;
    return f.lateTimerRate > 0 && this.rng.chance(f.lateTimerRate) ? own + this.rng.next() * f.lateMs : own;
  }

  jump(ms: number): void {
    this.offset += ms;
  }

  /** The tab is visible again: timers are on time (skew and drift stay: they are the machine's). */
  calm(): void {
    this.faults = { ...this.faults, lateTimerRate: 0 };
  }
}
