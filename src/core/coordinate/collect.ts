// Collecting R or W answers (paper §4.5): how many a request needs, and a collector that settles once
// that many replicas answered or fails with a QuorumError at the request's deadline.
//
// Public API
//   required(wanted, members): number   min(R|W, ring size): a ring smaller than N still works
//   class Collector<T>                  resolves at `need` answers; QuorumError at the deadline
//
// Why required() uses ring size and not reachability: a tab cut off from a five-member ring must
// not succeed alone; only a ring that truly has fewer members than N lowers the bar.

import type { Clock } from '../../ports/clock';
import type { NodeId } from '../../ports/transport';
import { QuorumError } from '../errors';

export function required(wanted: number, members: number): number {
  return Math.max(1, Math.min(wanted, members));
}

/** Gathers answers from replicas; settles once `need` succeeded, or fails at the deadline. */
export class Collector<T> {
  readonly answers: Array<{ from: NodeId; value: T }> = [];
  private failures = 0;
  private settled = false;
  private cancelTimer: () => void;
  private resolveFn!: (answers: Array<{ from: NodeId; value: T }>) => void;
  private rejectFn!: (err: Error) => void;
  readonly done: Promise<Array<{ from: NodeId; value: T }>>;

  constructor(
    private readonly need: number,
    private readonly asked: number,
    clock: Clock,
    timeoutMs: number,
    private readonly what: string,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    this.cancelTimer = clock.setTimer(timeoutMs, () => this.fail(`timed out after ${timeoutMs} ms`));
    if (asked < need) this.fail(`only ${asked} replicas reachable`);
  }

  ok(from: NodeId, value: T): void {
    this.answers.push({ from, value });
    if (!this.settled && this.answers.length >= this.need) {
      this.settled = true;
      this.cancelTimer();
      this.resolveFn(this.answers);
    }
  }

  /** A replica answered with an error (or its link went down): count it against the quorum. */
  failed(): void {
    this.failures++;
    if (this.asked - this.failures < this.need) this.fail('too many replicas failed');
  }

  private fail(why: string): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelTimer();
    const n = this.answers.length;
    this.rejectFn(new QuorumError(`${this.what}: ${n} of ${this.need} required replicas answered (${why})`, this.need, n));
  }
}
