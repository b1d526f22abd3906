// Liveness mode (issue 17, item 5; VOPR's liveness mode): once the faults stop, the ring must get
// well on its own. Within a bound of simulated time every replica of every written key holds the
// same sibling set (through hints and anti-entropy alone: no read repair helps here), and then
// every request succeeds.
//
// Public API:
//   checkRecovery(cluster, history, keys, opts)   -> Promise<RecoveryReport>
//        the caller has stopped the faults (healed, restarted every node, calmed the disks)
//   formatRecovery(report)                        -> string
//
// Why converge before any read: a read with R < N repairs what it sees, so reading first would hide
// a ring that cannot converge by itself (hints never delivered, an exchange that never finishes).
// Why requests after: a ring can converge and still refuse to serve (a member stuck suspect, a
// coordinator that kept a dead peer's lock); every key gets a read and a read-modify-write from a
// different node each, with the node's own R and W, recorded in the history like any client's;
// one that fails is retried each second for REQUEST_BOUND_MS (a node that stays down, the casualty,
// is found only after deadAfterMs), and only one still failing then fails the check.

import type { NodeId } from '../ports/transport';
import * as versions from '../core/versions';
import type { History } from './checker';
import type { SimCluster } from './cluster';
import { outcomeOf } from './workload';

export interface RecoveryOptions {
  /** Virtual ms allowed for convergence. */
  boundMs: number;
  /** How often convergence is looked at (virtual ms). Default 500. */
  pollMs?: number;
  /** Nodes that stay down (a casualty): their replicas and the hints kept for them are not waited for. */
  down?: readonly NodeId[];
  /**
   * False when a read may legitimately miss the latest write even now: a node stays down and another
   * disk was wiped (a write's two copies may have been exactly those), or writes were acknowledged
   * on one copy (w 'any'). Its reads are then recorded as 'live~' rather than 'live@', which the
   * checker does not hold to "nothing superseded shows". Default true.
   */
  fresh?: boolean;
}

export interface RecoveryReport {
  ok: boolean;
  /** Virtual ms the replicas took to converge (undefined: they did not within the bound). */
  convergedAfterMs: number | undefined;
  /** Keys still divergent at the bound, with what each replica held. */
  divergent: string[];
  hintsLeft: number;
  /** Requests made after convergence that did not succeed. */
  failed: string[];
}

const MAX_ITEMS = 10;
/** A request failing within this long after convergence is retried (a casualty takes a few seconds
 *  to be found: deadAfterMs); one still failing then fails the check. */
const REQUEST_BOUND_MS = 30_000;
const RETRY_MS = 1_000;

export async function checkRecovery(cluster: SimCluster, history: History, keys: readonly string[], opts: RecoveryOptions): Promise<RecoveryReport> {
  const started = cluster.clock.now();
  const down = new Set(opts.down ?? []);
  const done = await cluster.until(() => hintsLeft(cluster, down) === 0 && divergent(cluster, keys, 1, down).length === 0, {
    maxTime: opts.boundMs,
    pollMs: opts.pollMs ?? 500,
  });
  const report: RecoveryReport = {
    ok: false,
    convergedAfterMs: done ? Math.round(cluster.clock.now() - started) : undefined,
    divergent: done ? [] : divergent(cluster, keys, MAX_ITEMS, down),
    hintsLeft: hintsLeft(cluster, down),
    failed: done ? await requests(cluster, history, keys, down, opts.fresh === false ? 'live~' : 'live@') : [],
  };
  report.ok = done && report.failed.length === 0;
  return report;
}

/** Hints still held (in memory and on disk) for owners that are not down. */
function hintsLeft(cluster: SimCluster, down: ReadonlySet<NodeId>): number {
  const up = cluster.ids.filter((id) => !down.has(id));
  if (down.size === 0) return up.reduce((sum, id) => sum + (cluster.isUp(id) ? cluster.node(id).stats().hints.pending : 0) + cluster.hintsHeld(id), 0);
  return up.reduce((sum, id) => sum + cluster.hintsHeld(id, (owner) => !down.has(owner)), 0);
}

/** Keys whose primaries do not all hold the same set (a key nobody holds is not divergent). */
function divergent(cluster: SimCluster, keys: readonly string[], max: number, down: ReadonlySet<NodeId>): string[] {
  const out: string[] = [];
  const any = cluster.node(cluster.ids.find((id) => !down.has(id)) as NodeId);
  const n = any.config.n;
  for (const key of keys) {
    const primaries = any.preferenceList(key).slice(0, n).filter((id) => !down.has(id));
    const sets = primaries.map((id) => cluster.replicaSet(id, key));
    if (sets.every((s) => s === undefined)) continue;
    const first = sets[0];
    if (first !== undefined && sets.every((s) => s !== undefined && versions.equals(s, first))) continue;
    out.push(`${key}: ${primaries.map((id, i) => `${id}=${JSON.stringify(sets[i] ? versions.read(sets[i] as versions.SiblingSet).values : null)}`).join(' ')}`);
    if (out.length >= max) break;
  }
  return out;
}

async function requests(cluster: SimCluster, history: History, keys: readonly string[], down: ReadonlySet<NodeId>, as: string): Promise<string[]> {
  const failed: string[] = [];
  const ids = cluster.ids.filter((id) => !down.has(id));
  const deadline = cluster.clock.now() + REQUEST_BOUND_MS;
  const one = async (key: string, i: number): Promise<void> => {
    const reader = ids[i % ids.length] as NodeId;
    const writer = ids[(i + 1) % ids.length] as NodeId;
    for (;;) {
      const why = await readThenWrite(key, reader, writer);
      if (why === undefined) return;
      if (cluster.clock.now() >= deadline) return void failed.push(why);
      await cluster.sleep(RETRY_MS);
    }
  };
  /** Undefined if both succeeded, else what failed. */
  const readThenWrite = async (key: string, reader: NodeId, writer: NodeId): Promise<string | undefined> => {
    const get = history.invokeGet(`${as}${reader}`, key);
    let context: string;
    try {
      const res = await cluster.get(reader, key);
      history.complete(get, 'ok', res.values);
      context = res.context;
    } catch (err) {
      history.complete(get, outcomeOf(err));
      return `get ${key} at ${reader}: ${String(err)}`;
    }
    const value = `live.${key}.${cluster.clock.now()}`;
    const put = history.invokePut(`${as}${writer}`, key, value, get.values.filter((v): v is string => typeof v === 'string'));
    try {
      await cluster.put(writer, key, value, context);
      history.complete(put, 'ok');
      return undefined;
    } catch (err) {
      history.complete(put, outcomeOf(err));
      return `put ${key} at ${writer}: ${String(err)}`;
    }
  };
  await cluster.drive(Promise.all(keys.map(one)));
  return failed.slice(0, MAX_ITEMS);
}

export function formatRecovery(r: RecoveryReport): string {
  const head = r.ok
    ? `liveness PASS: converged after ${r.convergedAfterMs} virtual ms, every request succeeded`
    : r.convergedAfterMs === undefined
      ? `liveness FAIL: not converged within the bound (${r.hintsLeft} hints left)`
      : `liveness FAIL: converged after ${r.convergedAfterMs} virtual ms, but ${r.failed.length} request(s) failed`;
  return [head, ...r.divergent.map((d) => `  divergent ${d}`), ...r.failed.map((f) => `  ${f}`)].join('\n');
}
