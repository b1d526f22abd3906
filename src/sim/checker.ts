// Invariant checker for simulated runs (paper §4.4, §4.6 and the semantics in the README):
// no acknowledged write lost, no read of a value never written, siblings only from real concurrency.
//
// Public API:
//   new History()                                         the record of a run's client operations
//   history.invokePut(client, key, value, read, seen?) -> PutOp
//                                                         `read`: values of the get whose context it
//                                                         passed; `seen`: other values that context
//                                                         covers (a chained put's predecessor)
//   history.invokeGet(client, key)              -> GetOp
//   history.complete(op, outcome, values?)                'ok' | 'fail' | 'unknown' (see Outcome)
//   check(history, final: FinalState)           -> CheckReport
//   formatReport(report)                        -> string
//
// How causality is known without decoding contexts. Every written value is unique (the workload
// writes strings like "c3.17"), and each put records what its writer knew in the context it passed:
// `read`, the values of the get whose context it used, and `seen`, for a context a put returned, that
// put's own value (whose past holds what that put knew). A value v is in the causal past of u if u's
// writer knew v, or knew something that has v in its past. Contexts claim exactly this much (plus
// versions already superseded, which are in the past of what superseded them).
//
// Two strengths. A get's context is a plain clock, so a write made with it must supersede everything
// the get returned, and transitively what those had superseded: the `read` edges. A put's context
// excepts the siblings it left standing, and a coordinator that has not seen an excepted sibling
// cannot record the write's full past in a version vector (context.ts, adoptable), so the write may
// leave its own predecessor standing beside it: safe, but not collapsed. `seen` edges therefore count
// for (i), where they excuse an absence, and not for (iii), where they would demand a collapse.
//
// The invariants:
//   (i)   lost writes: on every replica of a key, each acknowledged value is in the final sibling set
//         or in the causal past of a value that is (superseded by a write that saw it);
//   (ii)  phantom reads: a read returns only values whose put was invoked before the read returned;
//   (iii) false siblings: no value a read returns (or a replica ends with) is in the `read` past of
//         another value returned with it. Such a pair is not concurrent, so the older one should have
//         been dropped. This is "siblings never exceed the number of concurrent writers" made exact:
//         every sibling is a distinct write concurrent with all the others (duplicates count too);
//   (iv)  convergence: after the final repair, all replicas of a key hold the same values;
//   (v)   no resurrection: no value an acknowledged write superseded (through `read` edges) is held at
//         the end or returned by a read made once the ring settled. Deletes are puts with `tombstone`:
//         their value only names them.
// Also counted: acknowledged values present at the end (survivors) and unacknowledged values found.

import type { Json } from '../ports/storage';
import type { NodeId } from '../ports/transport';

/** ok: acknowledged. fail: the node said no, but may have stored it (a QuorumError is not a rollback).
 *  unknown: no answer (crash). never: it was not even sent (node down, bad input). */
export type Outcome = 'ok' | 'fail' | 'unknown' | 'never';

interface OpBase {
  client: string;
  key: string;
  /** Global order of invocation and completion events (virtual time can tie). */
  invokedAt: number;
  completedAt: number | undefined;
  outcome: Outcome | undefined;
}
export interface PutOp extends OpBase {
  kind: 'put';
  value: string;
  /** Values the get whose context this put passed returned: they must be superseded by it. */
  read: readonly string[];
  /** Further values in its causal past (a chained put's predecessor): it may supersede them. */
  seen: readonly string[];
  /** A delete: `value` only names it (a tombstone holds no value and never shows in a read). */
  tombstone: boolean;
}
export interface GetOp extends OpBase {
  kind: 'get';
  values: readonly Json[];
}
export type Op = PutOp | GetOp;

export class History {
  readonly ops: Op[] = [];
  private seq = 0;

  invokePut(client: string, key: string, value: string, read: readonly string[], seen: readonly string[] = [], tombstone = false): PutOp {
    const op: PutOp = { kind: 'put', client, key, value, read, seen, tombstone, invokedAt: this.seq++, completedAt: undefined, outcome: undefined };
    this.ops.push(op);
    return op;
  }

  invokeGet(client: string, key: string): GetOp {
    const op: GetOp = { kind: 'get', client, key, values: [], invokedAt: this.seq++, completedAt: undefined, outcome: undefined };
    this.ops.push(op);
    return op;
  }

  complete(op: Op, outcome: Outcome, values?: readonly Json[]): void {
    op.outcome = outcome;
    op.completedAt = this.seq++;
    if (op.kind === 'get' && values) op.values = values;
  }

  puts(): PutOp[] {
    return this.ops.filter((o): o is PutOp => o.kind === 'put');
  }
}

/** Per key, the values each replica holds at the end (non-tombstone siblings). */
export type FinalState = Map<string, Array<{ node: NodeId; values: readonly Json[] }>>;

export interface LostWrite {
  key: string;
  value: string;
  client: string;
  /** Replicas whose final set neither holds it nor holds a write that saw it. */
  missingOn: NodeId[];
}
export interface Violation {
  key: string;
  what: string;
}

export interface CheckReport {
  ok: boolean;
  acknowledged: number;
  /** Acknowledged values present in the final sets (the rest were superseded, or lost). */
  survivors: number;
  lost: LostWrite[];
  /** Values of puts not acknowledged (failed or unknown) that are present at the end. */
  unacknowledgedFound: number;
  phantoms: Violation[];
  falseSiblings: Violation[];
  divergent: Violation[];
  /** Values an acknowledged write (a delete, say) superseded, back at the end or in a settled read. */
  resurrected: Violation[];
  /** Most siblings any read or replica showed. */
  maxSiblings: number;
}

export function check(history: History, final: FinalState): CheckReport {
  const puts = history.puts();
  const byValue = new Map(puts.map((p) => [p.value, p]));
  const past = new CausalPast(byValue, (p) => [...p.read, ...p.seen]);
  const strongPast = new CausalPast(byValue, (p) => p.read);
  const finalValues = presentValues(final);
  const lost = lostWrites(puts, final, past);
  const acked = puts.filter((p) => p.outcome === 'ok');
  const report: CheckReport = {
    ok: false,
    acknowledged: acked.length,
    survivors: acked.filter((p) => finalValues.has(p.value)).length,
    lost,
    unacknowledgedFound: puts.filter((p) => p.outcome !== 'ok' && finalValues.has(p.value)).length,
    phantoms: phantomReads(history, final, byValue),
    falseSiblings: falseSiblings(history, final, strongPast),
    divergent: divergence(final),
    resurrected: resurrections(history, final, strongPast),
    maxSiblings: maxSiblings(history, final),
  };
  report.ok = lost.length + report.phantoms.length + report.falseSiblings.length + report.divergent.length + report.resurrected.length === 0;
  return report;
}

/**
 * The transitive closure of "the writer of u had read v", walked on demand. Why no memoized sets:
 * a long read-modify-write chain would make them quadratic. A walk looking for v can skip every
 * write invoked before v's, since a writer reads only values written before it wrote.
 */
class CausalPast {
  constructor(
    private readonly byValue: Map<string, PutOp>,
    private readonly edges: (p: PutOp) => readonly string[],
  ) {}

  /** Is v in the causal past of u? */
  has(u: string, v: string): boolean {
    const floor = this.byValue.get(v)?.invokedAt ?? -1;
    const seen = new Set<string>();
    const stack = [...this.readsOf(u)];
    for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
      if (x === v) return true;
      if (seen.has(x) || (this.byValue.get(x)?.invokedAt ?? -1) < floor) continue;
      seen.add(x);
      stack.push(...this.readsOf(x));
    }
    return false;
  }

  /** Adds to `seen` the values in the past of `values` (themselves included) it lacked; returns those. */
  extend(values: readonly string[], seen: Set<string>): string[] {
    const added: string[] = [];
    const stack = [...values];
    for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
      if (seen.has(x)) continue;
      seen.add(x);
      added.push(x);
      stack.push(...this.readsOf(x));
    }
    return added;
  }

  /** Values accounted for by a final set: held, or in the past of something held. */
  covered(values: readonly Json[]): Set<string> {
    const out = new Set<string>();
    const stack = values.filter((v): v is string => typeof v === 'string');
    for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
      if (out.has(x)) continue;
      out.add(x);
      stack.push(...this.readsOf(x));
    }
    return out;
  }

  private readsOf(value: string): readonly string[] {
    const p = this.byValue.get(value);
    return p ? this.edges(p) : [];
  }
}

function presentValues(final: FinalState): Set<Json> {
  const out = new Set<Json>();
  for (const replicas of final.values()) for (const r of replicas) for (const v of r.values) out.add(v);
  return out;
}

function lostWrites(puts: PutOp[], final: FinalState, past: CausalPast): LostWrite[] {
  const lost: LostWrite[] = [];
  // A tombstone never shows, so whatever a delete that may have landed saw counts as superseded.
  // (Weaker than for values: a failed delete that never landed excuses the same values.)
  const deletes = new Map<string, string[]>();
  for (const p of puts) if (p.tombstone && p.outcome !== 'never') deletes.set(p.key, [...(deletes.get(p.key) ?? []), p.value]);
  const coveredByReplica = new Map<string, Array<{ node: NodeId; covered: Set<string> }>>();
  for (const [key, replicas] of final) {
    const roots = deletes.get(key) ?? [];
    coveredByReplica.set(key, replicas.map((r) => ({ node: r.node, covered: past.covered([...r.values, ...roots]) })));
  }
  for (const p of puts) {
    if (p.outcome !== 'ok' || p.tombstone) continue;
    const replicas = coveredByReplica.get(p.key);
    const missingOn = replicas ? replicas.filter((r) => !r.covered.has(p.value)).map((r) => r.node) : ['(no replica state)'];
    if (missingOn.length > 0) lost.push({ key: p.key, value: p.value, client: p.client, missingOn });
  }
  return lost;
}

function phantomReads(history: History, final: FinalState, byValue: Map<string, PutOp>): Violation[] {
  const out: Violation[] = [];
  for (const [key, replicas] of final) {
    for (const r of replicas) {
      for (const v of r.values) {
        const put = typeof v === 'string' ? byValue.get(v) : undefined;
        if (!put || put.key !== key || put.outcome === 'never') out.push({ key, what: `${r.node} holds ${JSON.stringify(v)}, never written here` });
      }
    }
  }
  for (const op of history.ops) {
    if (op.kind !== 'get' || op.outcome !== 'ok') continue;
    for (const v of op.values) {
      const put = typeof v === 'string' ? byValue.get(v) : undefined;
      if (!put || put.key !== op.key || put.outcome === 'never') {
        out.push({ key: op.key, what: `read ${JSON.stringify(v)}, which was never written to this key` });
      }
      else if (put.invokedAt > (op.completedAt ?? Infinity)) out.push({ key: op.key, what: `read ${v} before its put was made` });
    }
  }
  return out;
}

/** A pair of values shown together where one is in the other's causal past. */
function dominated(values: readonly Json[], past: CausalPast): string | undefined {
  const strings = values.filter((v): v is string => typeof v === 'string');
  if (new Set(strings).size !== strings.length) return `duplicate value in ${JSON.stringify(strings)}`;
  for (const u of strings) {
    const older = strings.find((v) => v !== u && past.has(u, v));
    if (older !== undefined) return `${older} shown beside ${u}, whose writer had seen it`;
  }
  return undefined;
}

function falseSiblings(history: History, final: FinalState, past: CausalPast): Violation[] {
  const out: Violation[] = [];
  for (const op of history.ops) {
    if (op.kind !== 'get' || op.outcome !== 'ok') continue;
    const bad = dominated(op.values, past);
    if (bad) out.push({ key: op.key, what: `read by ${op.client}: ${bad}` });
  }
  for (const [key, replicas] of final) {
    for (const r of replicas) {
      const bad = dominated(r.values, past);
      if (bad) out.push({ key, what: `final state of ${r.node}: ${bad}` });
    }
  }
  return out;
}

/** Reads made once the ring settled (the liveness phase's and the final ones): no stale replica is left. */
const settled = (client: string): boolean => client.startsWith('live@') || client.startsWith('final@');

/**
 * "No deleted value comes back" (issue 17, item 5), for every acknowledged write: a value in the
 * `read` past of an acknowledged put or delete was superseded for good. Values are unique, so a
 * concurrent re-add is a different value and never counts; a value that comes back after its
 * tombstone was reaped (a stale hint, a stray copy delivered past the grace period) does.
 */
function resurrections(history: History, final: FinalState, past: CausalPast): Violation[] {
  // When each value was first superseded: acked writes in order of completion, so the first to
  // reach a value is the earliest (and what it reached before is no later).
  const acked = history.puts().filter((p) => p.outcome === 'ok' && p.read.length > 0);
  acked.sort((a, b) => (a.completedAt ?? 0) - (b.completedAt ?? 0));
  const since = new Map<string, number>();
  const walked = new Set<string>();
  for (const p of acked) for (const v of past.extend(p.read, walked)) since.set(v, p.completedAt ?? 0);
  const out: Violation[] = [];
  const look = (key: string, values: readonly Json[], where: string, before: number) => {
    for (const v of values) {
      const t = typeof v === 'string' ? since.get(v) : undefined;
      if (t !== undefined && t < before) out.push({ key, what: `${where} shows ${v}, which an acknowledged write superseded` });
    }
  };
  for (const [key, replicas] of final) for (const r of replicas) look(key, r.values, `final state of ${r.node}`, Infinity);
  for (const op of history.ops) {
    if (op.kind === 'get' && op.outcome === 'ok' && settled(op.client)) look(op.key, op.values, `read by ${op.client}`, op.invokedAt);
  }
  return out;
}


function divergence(final: FinalState): Violation[] {
  const out: Violation[] = [];
  for (const [key, replicas] of final) {
    const shapes = new Set(replicas.map((r) => JSON.stringify([...r.values].map(String).sort())));
    if (shapes.size > 1) out.push({ key, what: replicas.map((r) => `${r.node}=${JSON.stringify(r.values)}`).join(' ') });
  }
  return out;
}

function maxSiblings(history: History, final: FinalState): number {
  let max = 0;
  for (const op of history.ops) if (op.kind === 'get') max = Math.max(max, op.values.length);
  for (const replicas of final.values()) for (const r of replicas) max = Math.max(max, r.values.length);
  return max;
}

/** A few lines for a test failure or the CLI. */
export function formatReport(r: CheckReport, maxItems = 10): string {
  const lines = [
    `${r.ok ? 'PASS' : 'FAIL'}: acknowledged ${r.acknowledged}, survivors ${r.survivors}, lost acknowledged ${r.lost.length}, ` +
      `unacknowledged found ${r.unacknowledgedFound}, phantom reads ${r.phantoms.length}, false siblings ${r.falseSiblings.length}, ` +
      `divergent keys ${r.divergent.length}, resurrected ${r.resurrected.length}, max siblings ${r.maxSiblings}`,
  ];
  for (const l of r.lost.slice(0, maxItems)) lines.push(`  lost ${l.key}=${l.value} (by ${l.client}) missing on ${l.missingOn.join(',')}`);
  for (const v of [...r.phantoms, ...r.falseSiblings, ...r.divergent, ...r.resurrected].slice(0, maxItems)) lines.push(`  ${v.key}: ${v.what}`);
  return lines.join('\n');
}
