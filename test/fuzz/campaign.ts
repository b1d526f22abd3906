// One seeded run of the peer-protocol fuzzer (the Hardening issue), shared by protocol.fuzz.test.ts
// and `npm run fuzz`. A live 3-node ring writes its keys through the API while a tap records the
// frames members exchange (writes, reads, gossip, anti-entropy and its handoffs): that is the corpus.
// Then a hostile peer sends `messages` frames (source.ts: replays, structure-aware mutations, damaged
// frames, random JSON), one per event-loop turn, to random members, and the run checks:
//   - nothing escapes a node (uncaught exceptions, unhandled rejections);
//   - drops and replies account for every message sent (ledger.ts);
//   - no turn over the stall budget (STALL_BUDGET_MS, below);
//   - heap growth, after full collections (reported; the test bounds it);
//   - afterwards (checks.ts) the written keys read back exactly, every member serves, everything
//     stored parses and fits in a message, and a join and a leave still spread.
// Returns a report and never throws for a finding, so both callers can name the seed.

import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decode, seal } from '../../src/core/protocol/messages';
import { seededRandom, type SeededRandom } from '../../src/sim/random';
import { until } from '../support/wait';
import { checkKeys, checkMembership, checkServes, checkStorage } from './checks';
import { Guard } from './guard';
import { isDoorReason, Ledger } from './ledger';
import { FUZZ_CONFIG, HOSTILE, openRing, prewrite, type Ring } from './ring';
import { prepareCorpus, Source, templates } from './source';

export interface Report {
  seed: number;
  /** Frames delivered: `messages`, plus the repeats of turns over budget. */
  sent: number;
  withheld: number;
  seconds: number;
  perSecond: number;
  stalls: Stalls;
  /** Heap growth over the run after full collections; undefined when gc could not be exposed. */
  heapGrowthMiB: number | undefined;
  corpus: number;
  /** Corpus frames per message type (captured, plus one template each for what a ring this small never sends). */
  corpusTypes: Record<string, number>;
  /** Messages per type that passed decode(), and the members' drops by reason. */
  passed: Record<string, number>;
  drops: Record<string, number>;
  problems: string[];
}

export async function runCampaign(seed: number, messages: number): Promise<Report> {
  const rng = seededRandom(seed);
  const ring = await openRing(rng.fork('ring'));
  const ledger = new Ledger();
  const escapes = catchEscapes(() => `after message #${ledger.sent}`);
  try {
    const { snapshot, corpus } = await corpusFor(ring, rng.fork('prewrite'));
    const gc = gcOrUndefined();
    const heapBefore = heapMiB(gc);
    const run = await fuzz(ring, ledger, new Source(rng.fork('source'), corpus), rng.fork('targets'), messages);
    const drops = await settle(ring, ledger);
    const heapAfter = heapMiB(gc);
    const problems = [
      ...escapes.errors,
      ...ledger.problems(drops.total, drops.door, drops.refusedSets),
      ...(await checkKeys(ring, snapshot)),
      ...(await checkServes(ring)),
      ...(await checkStorage(ring)),
      ...(await checkMembership(ring, rng.fork('join'))),
    ];
    const heapGrowthMiB = heapBefore === undefined || heapAfter === undefined ? undefined : heapAfter - heapBefore;
    const perSecond = Math.round(messages / run.seconds);
    const corpusTypes: Record<string, number> = {};
    for (const m of corpus) corpusTypes[String(m['type'])] = (corpusTypes[String(m['type'])] ?? 0) + 1;
    return { seed, sent: ledger.sent, withheld: run.withheld, seconds: run.seconds, perSecond, stalls: run.stalls, heapGrowthMiB, corpus: corpus.length, corpusTypes, passed: ledger.passed, drops: drops.reasons, problems };
  } finally {
    escapes.off();
    await ring.stop();
  }
}

/** One line per run: rate, worst turn, heap growth, corpus, problems. */
export function summary(r: Report): string {
  const heap = r.heapGrowthMiB === undefined ? 'heap not measured (no gc)' : `heap ${r.heapGrowthMiB >= 0 ? '+' : ''}${r.heapGrowthMiB.toFixed(1)} MiB`;
  const s = r.stalls;
  const stall = `worst turn ${s.worstCpuMs.toFixed(1)} ms CPU (${s.worstHow}), worst wall ${s.worstWallMs.toFixed(1)} ms, worst decode ${s.worstParseMs.toFixed(1)} ms, ${s.suspects} turns over budget once, ${s.overBudget.length} every time`;
  return `seed ${r.seed}: ${r.sent} messages in ${r.seconds.toFixed(1)} s (${r.perSecond}/s); ${stall}; ${heap}; corpus ${r.corpus}, withheld ${r.withheld}; ${r.problems.length} problems`;
}

async function corpusFor(ring: Ring, rng: SeededRandom) {
  const snapshot = await prewrite(ring, rng);
  // Anti-entropy's repairs of n2 are handoffs worth having in the corpus, but an exchange that was
  // under way when n2 was cut off holds its node's sweep until it times out (10 s): wait a little,
  // not for that (the corpus has a handoff template anyway).
  const repaired = () => ring.captured.some((f) => f.startsWith('{"type":"handoff"', 8)); // past the checksum
  await until(repaired, 3000, 'a repair').catch(() => undefined);
  ring.tap.on = false;
  const [key, read] = [...snapshot].find(([, s]) => s.values.length === 1) ?? [...snapshot][0]!;
  const set = (await ring.storages[0]!.get(key))?.value ?? null;
  const corpus = prepareCorpus(ring.captured, new Set(snapshot.keys()), templates(key, 'templated', read.context, set));
  return { snapshot, corpus };
}

// --- stalls --------------------------------------------------------------------------------------

/**
 * The stall budget (DESIGN.md: no message may stall a node), on the CPU time of the turn that
 * delivered the message: on a shared machine the wall clock also counts time the process was not
 * scheduled (both are reported). Work that grows with the frame is allowed on top, as a multiple of
 * what the fuzzer's own decode() of the same frame took: JSON.parse of a big frame is a cost no
 * handler can avoid (a 2 MB frame of nested arrays takes ~0.3 s), and a stored write walks its value
 * a few times more (validation, the storage copy, the Merkle digest, the push to a replica lacking
 * it). So the budget bounds what a node does per message beyond linear passes over it: no quadratic
 * work, no waits. A turn over budget is delivered twice more at the end and counts only if it is
 * over every time: a major collection of the whole heap can land in any turn, and it is the heap's
 * cost, not that message's.
 */
export const STALL_BUDGET_MS = 100;

export interface Stalls {
  worstWallMs: number;
  worstCpuMs: number;
  worstHow: string;
  worstParseMs: number;
  /** Turns over budget the first time, and those over budget every time (the findings). */
  suspects: number;
  overBudget: string[];
}

interface Turn {
  cpu: number;
  wall: number;
  parse: number;
}

/** Linear passes over a frame a node may make beyond parsing it (see STALL_BUDGET_MS). */
export const PASSES_PER_FRAME = 4;

const overBudget = (t: Turn) => t.cpu > STALL_BUDGET_MS + PASSES_PER_FRAME * t.parse;

async function fuzz(ring: Ring, ledger: Ledger, source: Source, rng: SeededRandom, messages: number) {
  ring.hostile.onMessage((from, raw) => ledger.received(from, raw));
  const guard = new Guard(FUZZ_CONFIG.q!, () => ring.nodes.flatMap((n) => n.membership().changes));
  const stalls: Stalls = { worstWallMs: 0, worstCpuMs: 0, worstHow: '', worstParseMs: 0, suspects: 0, overBudget: [] };
  const suspects: Array<{ i: number; frame: string; how: string }> = [];
  const started = performance.now();
  while (ledger.sent < messages) {
    const { frame, how } = source.next();
    const i = rng.int(ring.nodes.length);
    const turn = await deliver(ring, ledger, guard, i, frame);
    if (!turn) continue;
    if (turn.cpu > stalls.worstCpuMs) Object.assign(stalls, { worstCpuMs: turn.cpu, worstHow: `#${ledger.sent} ${how.slice(0, 200)}` });
    stalls.worstWallMs = Math.max(stalls.worstWallMs, turn.wall);
    stalls.worstParseMs = Math.max(stalls.worstParseMs, turn.parse);
    if (overBudget(turn) && suspects.length < 50) suspects.push({ i, frame, how: `#${ledger.sent} ${how.slice(0, 200)}` });
  }
  const seconds = (performance.now() - started) / 1000;
  for (const s of suspects) {
    const again = [await deliver(ring, ledger, guard, s.i, s.frame), await deliver(ring, ledger, guard, s.i, s.frame)];
    if (again.every((t) => t && overBudget(t)) && stalls.overBudget.length < 5) stalls.overBudget.push(`${again.map((t) => t!.cpu.toFixed(0)).join(', ')} ms CPU again: ${s.how}`);
  }
  stalls.suspects = suspects.length;
  return { stalls, seconds, withheld: guard.withheld };
}

/** Delivers one frame from the hostile peer to member `i` in a turn of its own; undefined if withheld. */
async function deliver(ring: Ring, ledger: Ledger, guard: Guard, i: number, body: string): Promise<Turn | undefined> {
  // The hostile peer checksums what it sends (a buggy encoder does): the validators behind the
  // checksum are what is under test here; damaged checksums are tested on their own.
  const frame = seal(body);
  const p0 = performance.now();
  const decoded = decode(frame);
  const parse = performance.now() - p0;
  if (!guard.allows(decoded)) return undefined;
  ledger.sent1(ring.nodes[i]!.id, decoded, ring.nodes[i]!.membership().digest);
  const [t0, c0] = [performance.now(), process.cpuUsage()];
  ring.transports[i]!.deliver(HOSTILE, frame);
  await new Promise((r) => setImmediate(r));
  const wall = performance.now() - t0;
  // process.cpuUsage costs a system call: read it only for turns long enough to matter.
  if (wall < 20) return { cpu: wall, wall, parse };
  const d = process.cpuUsage(c0);
  return { cpu: (d.user + d.system) / 1000, wall, parse };
}

// --- the books, the heap, escapes ----------------------------------------------------------------

/** Waits for replies and drops to add up (requests may still be in flight), then reads the counters. */
async function settle(ring: Ring, ledger: Ledger) {
  const read = () => {
    const reasons: Record<string, number> = {};
    let total = 0;
    for (const n of ring.nodes) {
      const m = n.stats().messages;
      total += m.dropsByPeer[HOSTILE] ?? 0;
      for (const [r, c] of Object.entries(m.dropReasons)) reasons[r] = (reasons[r] ?? 0) + c;
    }
    const door = Object.entries(reasons).reduce((s, [r, c]) => s + (isDoorReason(r) ? c : 0), 0);
    return { total, door, refusedSets: reasons['handoff-set-refused'] ?? 0, reasons };
  };
  const balanced = () => {
    const r = read();
    return ledger.problems(r.total, r.door, r.refusedSets).length === 0;
  };
  await until(balanced, 10_000, 'drops and replies to add up').catch(() => undefined);
  return read();
}

/** global.gc, exposed at run time when node was not started with --expose-gc; undefined if refused. */
function gcOrUndefined(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function heapMiB(gc: (() => void) | undefined): number | undefined {
  if (!gc) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Errors that escaped a node while the run was on (the listeners are the fuzzer's, not the node's). */
function catchEscapes(where: () => string): { errors: string[]; off: () => void } {
  const errors: string[] = [];
  const onError = (err: unknown) => {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    if (errors.length < 10) errors.push(`escaped a node ${where()}: ${text.slice(0, 600)}`);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return { errors, off: () => void (process.off('uncaughtException', onError), process.off('unhandledRejection', onError)) };
}
