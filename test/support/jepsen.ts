// The checker of the partition suite (test/e2e/partition.spec.ts): a Jepsen-shaped set workload.
//
// Public API
//   unionOf(values)                      -> number[]  the union of siblings that are JSON arrays of integers
//   dominatedSiblings(values)            -> number    siblings contained in another sibling (false siblings)
//   checkSet(writers, reads)             -> SetReport
//   formatSetReport(report, title?)      -> string    a printable table, one row per tab plus the total
//
// The workload: every writer adds its own integers (disjoint between writers) to one set-valued key by
// read-modify-write with the read's context, siblings merged by union. A set only grows, so nothing is
// ever legitimately superseded away: an acknowledged add must be in every final read. That makes the
// check far simpler than src/sim/checker.ts (no causal past to walk):
//   lost acknowledged      an acknowledged add missing from a tab's final read (total: from any tab);
//   survivors              acknowledged adds present (total: present in every tab's read);
//   unacknowledged found   adds whose put failed or timed out (QuorumError is not a rollback) but are present;
//   phantoms               integers present that no writer ever tried to add;
//   converged              every tab read, and all reads are the same set;
//   false siblings         a sibling whose set is contained in another sibling of the same read. Each write
//                          adds a fresh integer, so a set holding X's new integer was written by someone
//                          who read X (or read a descendant of X): X is in its causal past, and a write
//                          made with a read's context must supersede X (siblings are bounded
//                          by real concurrency). Counted in the final reads and in the writers' reads.
// Pass: no lost acknowledged add, no phantom, converged, no false sibling in the final reads.

export interface WriterLog {
  writer: string;
  /** The tab the writer drives. */
  tab: string;
  /** Adds whose put was acknowledged (W replicas stored it). */
  acknowledged: readonly number[];
  /** Adds whose put failed, timed out, or whose answer was lost with the page (reload). */
  unacknowledged: readonly number[];
  /** Reads made by this writer that showed a false sibling (see dominatedSiblings). */
  falseSiblingReads?: number;
}

export interface FinalRead {
  tab: string;
  /** The siblings read (each a set of integers), or undefined if the read failed. */
  siblings: readonly (readonly number[])[] | undefined;
  error?: string;
}

export interface TabReport {
  tab: string;
  read: boolean;
  size: number;
  siblings: number;
  /** Siblings contained in another sibling of this read. */
  falseSiblings: number;
  survivors: number;
  lost: number[];
  unacknowledgedFound: number;
  phantoms: number[];
}

export interface WriterReport {
  writer: string;
  tab: string;
  acknowledged: number;
  unacknowledged: number;
  lost: number;
}

export interface SetReport {
  ok: boolean;
  acknowledged: number;
  unacknowledged: number;
  /** Acknowledged adds present in every tab's read. */
  survivors: number;
  /** Acknowledged adds missing from at least one tab's read. */
  lost: number[];
  /** Unacknowledged adds present in at least one tab's read. */
  unacknowledgedFound: number;
  phantoms: number[];
  converged: boolean;
  /** False siblings in the final reads (all tabs), and reads during the run that showed one. */
  falseSiblings: number;
  falseSiblingReads: number;
  tabs: TabReport[];
  writers: WriterReport[];
}

/** The union of a read's siblings; each must be a JSON array of integers (else it throws: a corrupt value). */
export function unionOf(values: readonly unknown[]): number[] {
  const out = new Set<number>();
  for (const v of values) {
    if (!Array.isArray(v)) throw new Error(`sibling is not an array: ${JSON.stringify(v).slice(0, 80)}`);
    for (const x of v) {
      if (!Number.isInteger(x)) throw new Error(`sibling holds a non-integer: ${JSON.stringify(x)}`);
      out.add(x as number);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Siblings that are a subset of another sibling (a duplicate counts once per extra copy). In the set
 * workload such a sibling is in the causal past of the other one, so it should have been dropped.
 */
export function dominatedSiblings(siblings: readonly (readonly number[])[]): number {
  const sets = siblings.map((s) => new Set(s));
  let count = 0;
  for (let i = 0; i < sets.length; i++) {
    const a = sets[i]!;
    const under = sets.some((b, j) => {
      if (j === i || b.size < a.size) return false;
      for (const x of a) if (!b.has(x)) return false;
      // Equal sets: count only the later copy, so a duplicated pair counts once.
      return b.size > a.size || j < i;
    });
    if (under) count++;
  }
  return count;
}

export function checkSet(writers: readonly WriterLog[], reads: readonly FinalRead[]): SetReport {
  const acked = new Set<number>();
  const unacked = new Set<number>();
  for (const w of writers) {
    for (const v of w.acknowledged) acked.add(v);
    for (const v of w.unacknowledged) unacked.add(v);
  }
  for (const v of acked) {
    if (unacked.has(v)) throw new Error(`${v} is both acknowledged and unacknowledged: the workload reused an integer`);
  }
  const lostAnywhere = new Set<number>();
  const foundUnacked = new Set<number>();
  const phantoms = new Set<number>();
  const values = reads.map((r) => (r.siblings ? unionOf(r.siblings) : undefined));
  const tabs: TabReport[] = reads.map((r, i) => {
    const union = values[i];
    const present = new Set(union ?? []);
    const lost = union ? [...acked].filter((v) => !present.has(v)).sort((a, b) => a - b) : [...acked].sort((a, b) => a - b);
    const mine = [...present].filter((v) => !acked.has(v) && !unacked.has(v)).sort((a, b) => a - b);
    const found = [...present].filter((v) => unacked.has(v));
    for (const v of lost) lostAnywhere.add(v);
    for (const v of found) foundUnacked.add(v);
    for (const v of mine) phantoms.add(v);
    return {
      tab: r.tab,
      read: union !== undefined,
      size: present.size,
      siblings: r.siblings?.length ?? 0,
      falseSiblings: r.siblings ? dominatedSiblings(r.siblings) : 0,
      survivors: acked.size - lost.length,
      lost,
      unacknowledgedFound: found.length,
      phantoms: mine,
    };
  });
  const shapes = new Set(values.map((v) => (v ? v.join(',') : '(no read)')));
  const converged = reads.length > 0 && values.every((v) => v !== undefined) && shapes.size === 1;
  const lost = [...lostAnywhere].sort((a, b) => a - b);
  const report: SetReport = {
    ok: false,
    acknowledged: acked.size,
    unacknowledged: unacked.size,
    survivors: acked.size - lost.length,
    lost,
    unacknowledgedFound: foundUnacked.size,
    phantoms: [...phantoms].sort((a, b) => a - b),
    converged,
    falseSiblings: tabs.reduce((a, t) => a + t.falseSiblings, 0),
    falseSiblingReads: writers.reduce((a, w) => a + (w.falseSiblingReads ?? 0), 0),
    tabs,
    writers: writers.map((w) => ({
      writer: w.writer,
      tab: w.tab,
      acknowledged: w.acknowledged.length,
      unacknowledged: w.unacknowledged.length,
      lost: w.acknowledged.filter((v) => lostAnywhere.has(v)).length,
    })),
  };
  report.ok = lost.length === 0 && report.phantoms.length === 0 && converged && reads.length > 0 && report.falseSiblings === 0;
  return report;
}

/** A table for the test report: per tab, then the total, then per writer, then a few lost values. */
export function formatSetReport(r: SetReport, title = 'set workload', maxItems = 10): string {
  const head = ['tab', 'read', 'size', 'siblings', 'false sib', 'acknowledged', 'survivors', 'lost ack', 'unack found', 'phantoms'];
  const rows: string[][] = r.tabs.map((t) => [
    t.tab,
    t.read ? 'ok' : 'FAILED',
    String(t.size),
    String(t.siblings),
    String(t.falseSiblings),
    String(r.acknowledged),
    String(t.survivors),
    String(t.lost.length),
    String(t.unacknowledgedFound),
    String(t.phantoms.length),
  ]);
  rows.push([
    'total',
    r.converged ? 'same' : 'DIFFER',
    '',
    '',
    String(r.falseSiblings),
    String(r.acknowledged),
    String(r.survivors),
    String(r.lost.length),
    String(r.unacknowledgedFound),
    String(r.phantoms.length),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  const out = [
    `${r.ok ? 'PASS' : 'FAIL'} ${title}: acknowledged ${r.acknowledged}, survivors ${r.survivors}, lost acknowledged ${r.lost.length}, ` +
      `unacknowledged ${r.unacknowledged} (found ${r.unacknowledgedFound}), phantoms ${r.phantoms.length}, ` +
      `tabs ${r.converged ? 'agree' : 'DISAGREE'}, false siblings ${r.falseSiblings} (writers' reads showing one: ${r.falseSiblingReads})`,
    line(head),
    ...rows.map(line),
    'writers: ' + r.writers.map((w) => `${w.writer}@${w.tab} ack ${w.acknowledged} unack ${w.unacknowledged} lost ${w.lost}`).join('; '),
  ];
  if (r.lost.length > 0) out.push(`lost acknowledged (first ${Math.min(maxItems, r.lost.length)}): ${r.lost.slice(0, maxItems).join(' ')}`);
  if (r.phantoms.length > 0) out.push(`phantoms (first ${Math.min(maxItems, r.phantoms.length)}): ${r.phantoms.slice(0, maxItems).join(' ')}`);
  return out.join('\n');
}
