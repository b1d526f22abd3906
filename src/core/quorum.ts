// Sloppy quorums (paper §4.5, §4.6): where a key's replicas go when some nodes are unreachable,
// and a collector that waits for R or W answers until a deadline.
//
// Public API
//   type Placement = { node, hintFor? }
//   placements(walk, n, healthy): Placement[]   the first n healthy nodes of the clockwise walk;
//                                                a fallback names the down primary it stands in for
//   required(wanted, members): number           min(R|W, ring size): a ring smaller than N still works
//   class Collector<T>                          resolves at `need` answers; QuorumError at the deadline
//
// Why required() uses ring size and not reachability: a tab cut off from a five-member ring must
// not succeed alone (DESIGN.md); only a ring that truly has fewer members than N lowers the bar.

import type { Clock } from '../ports/clock';
import type { NodeId } from '../ports/transport';
import { QuorumError } from './errors';

export interface Placement {
  node: NodeId;
  /** Set when `node` is a fallback holding this write for a primary that is down. */
  hintFor?: NodeId;
}

export function placements(walk: readonly NodeId[], n: number, healthy: (id: NodeId) => boolean): Placement[] {
  const primaries = walk.slice(0, n);
  const downPrimaries = primaries.filter((p) => !healthy(p));
  const out: Placement[] = primaries.filter(healthy).map((node) => ({ node }));
  for (const node of walk.slice(n)) {
    if (out.length >= n || downPrimaries.length === 0) break;
    if (healthy(node)) out.push({ node, hintFor: downPrimaries.shift() });
  }
  return out;
}

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
