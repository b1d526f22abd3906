// Workloads and fault schedules for the simulator (paper §6: Dynamo under partitions, crashes and
// lossy links), plus the final repair that every scenario ends with before the checker runs.
//
// Public API:
//   runClients(cluster, history, opts)        -> Promise<void>  concurrent clients doing reads,
//                                                read-modify-writes, blind and chained writes
//   faultSchedule(rng, ids, opts)             -> Fault[]        a seeded, timed list of faults
//   runFaults(cluster, faults, done)          -> Promise<Fault[]> applies them on time (the applied ones)
//   applyFault(cluster, f)                    -> Promise<void>  one fault, now
//   formatFault(f)                            -> string
//   repairAndCollect(cluster, history, keys)  -> Promise<FinalState>  heal, restart, drain hints,
//                                                R=N reads of every key from every node, then read
//                                                every primary's storage
//   runMixed(opts)                            -> Promise<MixedRunResult>  one seed of the mixed-fault run
//   replayCommand(opts)  formatFailure(result, opts)                what a failing seed prints
//
// Why the final R=N reads: there is no anti-entropy yet, so read repair is the only way replicas that
// missed a write (and were not covered by a hint) converge. A read with R=N asks every primary and
// writes the merged set back to each one that lacked something.
//
// Why a schedule generated up front rather than faults drawn as the run goes: it can be printed,
// and a failing seed can be replayed with some of its faults dropped (`drop`) to find a smaller one.
// Applying a fault never depends on the state it meets (a crash of a down node, a restart of an up
// one, do nothing), so any subset of a schedule is itself a valid schedule.

import type { Json } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { QuorumError } from '../core/errors';
import type { NodeConfig } from '../core/node';
import { LWW } from '../core/replica';
import * as versions from '../core/versions';
import { check, formatReport, History, type CheckReport, type FinalState, type Outcome } from './checker';
import { CrashedError, NodeDownError, SimCluster } from './cluster';
import type { LinkConfig } from './network';
import type { SeededRandom } from './random';

// ---- clients ---------------------------------------------------------------------------------

export interface WorkloadOptions {
  /** Client calls in total (a read-modify-write is two). */
  ops: number;
  clients: number;
  keys: readonly string[];
  /** Upper bound of the pause between a client's calls, virtual ms. */
  thinkMs?: number;
  /** Relative weights of the kinds of client step (delete: a read, then a delete with its context). */
  mix?: Mix;
  /** Chance that a write's value is padded to `largeBytes` (sibling byte bounds, big shipments). */
  largeRate?: number;
  largeBytes?: number;
  /** The nodes a client may send to (default: any). */
  nodesFor?: (client: string) => readonly NodeId[];
  r?: number;
  /** A count, or 'any': writes acknowledged degraded (one durable copy) count as acknowledged. */
  w?: number | 'any';
  /** Called as each put is acknowledged, before anything else runs (acks.ts checks the disks then). */
  onAck?: (key: string, value: string, replicas: number) => void;
}

export interface Mix {
  rmw: number;
  blind: number;
  chained: number;
  read: number;
  delete?: number;
}

const DEFAULT_MIX: Mix = { rmw: 6, blind: 1, chained: 2, read: 1 };
const STEPS = ['rmw', 'blind', 'chained', 'read', 'delete'] as const;
type Step = (typeof STEPS)[number];

/** Shared by the clients: how many calls are left, and the history they all write to. */
interface Run {
  cluster: SimCluster;
  history: History;
  opts: WorkloadOptions;
  left: number;
}

interface LastWrite {
  value: string;
  context: string;
}

export async function runClients(cluster: SimCluster, history: History, opts: WorkloadOptions): Promise<void> {
  const run: Run = { cluster, history, opts, left: opts.ops };
  const names = Array.from({ length: opts.clients }, (_, i) => `c${i}`);
  // Each client draws from its own stream: a change in one client's choices leaves the others' alone.
  await Promise.all(names.map((name) => client(run, name, cluster.rng.fork(`client:${name}`))));
}

async function client(run: Run, name: string, rng: SeededRandom): Promise<void> {
  const last = new Map<string, LastWrite>();
  let seq = 0;
  // Unique values (the checker's identity for a write); a large one is the same name, padded.
  const nextValue = () => {
    const v = `${name}.${seq++}`;
    return run.opts.largeRate && rng.chance(run.opts.largeRate) ? `${v}:${'x'.repeat(run.opts.largeBytes ?? 100_000)}` : v;
  };
  while (take(run)) {
    const key = rng.pick(run.opts.keys);
    const node = rng.pick(run.opts.nodesFor?.(name) ?? run.cluster.ids);
    const step = pickStep(rng, run.opts.mix ?? DEFAULT_MIX);
    const prev = last.get(key);
    last.delete(key);
    let wrote: LastWrite | undefined;
    if (step === 'read') await read(run, name, node, key);
    else if (step === 'chained' && prev) wrote = await write(run, name, node, key, nextValue(), { read: [], seen: [prev.value] }, prev.context);
    else if (step === 'blind') wrote = await write(run, name, node, key, nextValue(), { read: [], seen: [] }, undefined);
    else if (step === 'delete') {
      const got = await read(run, name, node, key);
      const known = { read: got?.values.filter(isString) ?? [], seen: [] };
      if (got && take(run)) wrote = await write(run, name, node, key, `${name}.${seq++}~del`, known, got.context, true);
    } else {
      const got = await read(run, name, node, key);
      const known = { read: got?.values.filter(isString) ?? [], seen: [] };
      if (got && take(run)) wrote = await write(run, name, node, key, nextValue(), known, got.context);
    }
    if (wrote) last.set(key, wrote);
    await run.cluster.sleep(rng.int((run.opts.thinkMs ?? 20) + 1));
  }
}

function take(run: Run): boolean {
  if (run.left <= 0) return false;
  run.left--;
  return true;
}

function pickStep(rng: SeededRandom, mix: Mix): Step {
  let x = rng.next() * (mix.rmw + mix.blind + mix.chained + mix.read + (mix.delete ?? 0));
  for (const step of STEPS) {
    x -= mix[step] ?? 0;
    if (x < 0) return step;
  }
  return 'rmw';
}

async function read(run: Run, client: string, node: NodeId, key: string): Promise<{ values: Json[]; context: string } | undefined> {
  const op = run.history.invokeGet(client, key);
  try {
    const res = await run.cluster.get(node, key, run.opts.r === undefined ? {} : { r: run.opts.r });
    run.history.complete(op, 'ok', res.values);
    return res;
  } catch (err) {
    run.history.complete(op, outcomeOf(err));
    return undefined;
  }
}

async function write(
  run: Run,
  client: string,
  node: NodeId,
  key: string,
  value: string,
  known: { read: string[]; seen: string[] },
  context: string | undefined,
  tombstone = false,
): Promise<LastWrite | undefined> {
  const op = run.history.invokePut(client, key, value, known.read, known.seen, tombstone);
  const opts = run.opts.w === undefined ? {} : { w: run.opts.w };
  try {
    const res = await (tombstone ? run.cluster.delete(node, key, context ?? '', opts) : run.cluster.put(node, key, value, context, opts));
    if (!tombstone) run.opts.onAck?.(key, value, res.replicas);
    run.history.complete(op, 'ok');
    return { value, context: res.context };
  } catch (err) {
    run.history.complete(op, outcomeOf(err));
    return undefined;
  }
}

/** What a failed call tells the client about whether its write happened. */
export function outcomeOf(err: unknown): Outcome {
  if (err instanceof NodeDownError) return 'never';
  if (err instanceof CrashedError) return 'unknown';
  if (err instanceof QuorumError) return 'fail';
  if (err instanceof Error && err.name === 'ValidationError') return 'never';
  return 'fail';
}

const isString = (v: Json): v is string => typeof v === 'string';

// ---- faults ----------------------------------------------------------------------------------

export type Fault =
  | { at: number; kind: 'partition'; groups: NodeId[][] }
  | { at: number; kind: 'isolate'; node: NodeId }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'crash'; node: NodeId }
  | { at: number; kind: 'restart'; node: NodeId }
  | { at: number; kind: 'network'; config: Partial<LinkConfig> };

export interface ScheduleOptions {
  /** Faults are generated over [0, durationMs) virtual ms, counted from the start of the run. */
  durationMs: number;
  /** Mean gap between faults. */
  meanGapMs: number;
  /** At most this many nodes down at once (by the schedule's own count). */
  maxCrashed?: number;
}

export function faultSchedule(rng: SeededRandom, ids: readonly NodeId[], opts: ScheduleOptions): Fault[] {
  const out: Fault[] = [];
  const down = new Set<NodeId>();
  for (let at = gap(rng, opts.meanGapMs); at < opts.durationMs; at += gap(rng, opts.meanGapMs)) {
    out.push(oneFault(rng, ids, down, opts.maxCrashed ?? 2, Math.round(at)));
  }
  return out;
}

function gap(rng: SeededRandom, mean: number): number {
  return mean * (0.25 + 1.5 * rng.next());
}

function oneFault(rng: SeededRandom, ids: readonly NodeId[], down: Set<NodeId>, maxCrashed: number, at: number): Fault {
  const roll = rng.next();
  const up = ids.filter((id) => !down.has(id));
  if (roll < 0.25) return { at, kind: 'partition', groups: split(rng, ids) };
  if (roll < 0.3) return { at, kind: 'isolate', node: rng.pick(ids) };
  if (roll < 0.5) return { at, kind: 'heal' };
  if (roll < 0.65 && down.size < maxCrashed && up.length > 0) {
    const node = rng.pick(up);
    down.add(node);
    return { at, kind: 'crash', node };
  }
  if (roll < 0.8 && down.size > 0) {
    const node = rng.pick([...down]);
    down.delete(node);
    return { at, kind: 'restart', node };
  }
  return { at, kind: 'network', config: linkFaults(rng) };
}

/** Two or three groups of random sizes. */
function split(rng: SeededRandom, ids: readonly NodeId[]): NodeId[][] {
  const shuffled = rng.shuffle([...ids]);
  const cut = 1 + rng.int(shuffled.length - 1);
  const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
  const big = groups[1] as NodeId[];
  if (big.length > 2 && rng.chance(0.3)) groups.splice(1, 1, big.slice(0, 1), big.slice(1));
  return groups;
}

function linkFaults(rng: SeededRandom): Partial<LinkConfig> {
  const calm = rng.chance(0.3);
  return {
    loss: calm ? 0 : round(rng.next() * 0.2),
    duplicate: calm ? 0 : round(rng.next() * 0.1),
    reorder: !calm && rng.chance(0.5),
    maxDelayMs: 5 + rng.int(46),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Applies `faults` at their times, from now; stops early once `done()` says the workload is over. */
export async function runFaults(cluster: SimCluster, faults: readonly Fault[], done: () => boolean): Promise<Fault[]> {
  const start = cluster.clock.now();
  const applied: Fault[] = [];
  for (const f of faults) {
    const wait = start + f.at - cluster.clock.now();
    if (wait > 0) await cluster.sleep(wait);
    if (done()) break;
    await applyFault(cluster, f);
    applied.push(f);
  }
  return applied;
}

export async function applyFault(cluster: SimCluster, f: Fault): Promise<void> {
  switch (f.kind) {
    case 'partition':
      return cluster.partition(f.groups);
    case 'isolate':
      return cluster.isolate(f.node);
    case 'heal':
      return cluster.heal();
    case 'crash':
      return cluster.crash(f.node);
    case 'restart':
      if (!cluster.isUp(f.node)) await cluster.restart(f.node);
      return;
    case 'network':
      return cluster.configureNetwork(f.config);
  }
}

export function formatFault(f: Fault): string {
  const t = `t=${f.at}`;
  switch (f.kind) {
    case 'partition':
      return `${t} partition ${f.groups.map((g) => `{${g.join(',')}}`).join('|')}`;
    case 'network':
      return `${t} network ${JSON.stringify(f.config)}`;
    case 'heal':
      return `${t} heal`;
    default:
      return `${t} ${f.kind} ${f.node}`;
  }
}

// ---- the end of every scenario: repair, then read the replicas -----------------------------------

export interface RepairOptions {
  /** Virtual ms allowed for hints to drain. */
  maxHandoffMs?: number;
  /** Nodes to read from (default: all). */
  readFrom?: readonly NodeId[];
}

/**
 * Heals everything, waits for hinted handoff to finish, reads every key with R=N from every node
 * (read repair), and returns what each key's primaries then hold in durable storage.
 */
export async function repairAndCollect(cluster: SimCluster, history: History, keys: readonly string[], opts: RepairOptions = {}): Promise<FinalState> {
  cluster.heal();
  cluster.configureNetwork({ loss: 0, duplicate: 0 });
  for (const id of cluster.ids) if (!cluster.isUp(id)) await cluster.restart(id);
  await cluster.waitForMesh();
  const maxTime = opts.maxHandoffMs ?? 120_000;
  if (!(await cluster.until(() => hintsPending(cluster) === 0, { maxTime }))) {
    throw new Error(`hints not drained after ${maxTime} virtual ms: ${hintsPending(cluster)} pending`);
  }
  const n = cluster.node(cluster.ids[0] as NodeId).config.n;
  await cluster.drive(Promise.all((opts.readFrom ?? cluster.ids).map((id) => finalReads(cluster, history, id, keys, n))));
  await cluster.run(2_000); // read repair is fire-and-forget: let it land
  return collect(cluster, keys, n);
}

function hintsPending(cluster: SimCluster): number {
  return cluster.ids.reduce((sum, id) => sum + cluster.node(id).stats().hints.pending + cluster.hintsHeld(id), 0);
}

async function finalReads(cluster: SimCluster, history: History, node: NodeId, keys: readonly string[], n: number): Promise<void> {
  for (const key of keys) {
    const op = history.invokeGet(`final@${node}`, key);
    const res = await cluster.get(node, key, { r: n });
    history.complete(op, 'ok', res.values);
  }
}

function collect(cluster: SimCluster, keys: readonly string[], n: number): FinalState {
  const final: FinalState = new Map();
  const any = cluster.node(cluster.ids[0] as NodeId);
  for (const key of keys) {
    const primaries = any.preferenceList(key).slice(0, n);
    final.set(key, primaries.map((node) => ({ node, values: versions.read(cluster.replicaSet(node, key) ?? versions.empty()).values })));
  }
  return final;
}

// ---- one seed of the mixed-fault run -------------------------------------------------------------

export interface MixedRunOptions {
  seed: number;
  /** Client calls. Default 400. */
  ops?: number;
  nodes?: number;
  clients?: number;
  keys?: number;
  /** Mean virtual ms between faults. Default 150. */
  faultGapMs?: number;
  /** Most nodes the schedule keeps crashed at once. Default 2. */
  maxCrashed?: number;
  /** Indices into the generated schedule to leave out (for shrinking a failing seed). */
  drop?: readonly number[];
  config?: Partial<NodeConfig>;
  /** 'lww' runs the negative control (last-writer-wins), which the checker must catch. */
  versioning?: 'dvv' | 'lww';
  /** Network trace events kept for the failure report. */
  trace?: number;
  /** Every client write with this w (default: the node's W); 'any' checks degraded writes. */
  w?: number | 'any';
}

export interface MixedRunResult {
  seed: number;
  report: CheckReport;
  /** The generated schedule, with each fault's index (what `drop` refers to). */
  schedule: Array<{ index: number; fault: Fault }>;
  applied: number;
  calls: number;
  virtualMs: number;
  steps: number;
  messages: number;
  trace: string;
  log: string[];
}

export async function runMixed(opts: MixedRunOptions): Promise<MixedRunResult> {
  const ops = opts.ops ?? 400;
  const clients = opts.clients ?? 6;
  const config = { ...opts.config, ...(opts.versioning === 'lww' ? { versioning: LWW } : {}) };
  const cluster = await SimCluster.create({ seed: opts.seed, nodes: opts.nodes ?? 5, config, network: { trace: opts.trace ?? 0 } });
  const keys = Array.from({ length: opts.keys ?? 12 }, (_, i) => `k${i}`);
  const dropped = new Set(opts.drop ?? []);
  // Roughly how long the workload lasts: each call takes a few ms plus think time, timeouts aside.
  const durationMs = (ops / clients) * 25;
  const generated = faultSchedule(cluster.rng.fork('faults'), cluster.ids, {
    durationMs,
    meanGapMs: opts.faultGapMs ?? 150,
    maxCrashed: opts.maxCrashed ?? 2,
  });
  const schedule = generated.map((fault, index) => ({ index, fault })).filter((f) => !dropped.has(f.index));
  const history = new History();
  const started = cluster.clock.now();
  let done = false;
  const work = runClients(cluster, history, { ops, clients, keys, ...(opts.w === undefined ? {} : { w: opts.w }) }).finally(() => (done = true));
  const [, applied] = await cluster.drive(Promise.all([work, runFaults(cluster, schedule.map((s) => s.fault), () => done)]));
  const final = await repairAndCollect(cluster, history, keys);
  const report = check(history, final);
  const result: MixedRunResult = {
    seed: opts.seed,
    report,
    schedule: schedule.slice(0, applied.length),
    applied: applied.length,
    calls: ops,
    virtualMs: cluster.clock.now() - started,
    steps: cluster.clock.steps,
    messages: cluster.net.stats().sent,
    trace: cluster.net.formatTrace(opts.trace ?? 0),
    log: [...cluster.log],
  };
  await cluster.stop();
  return result;
}

/** The command that reruns one seed of the mixed-fault run exactly. */
export function replayCommand(opts: MixedRunOptions): string {
  const parts = [`npm run sim -- --seeds 1 --start ${opts.seed} --ops ${opts.ops ?? 400}`];
  if (opts.nodes !== undefined) parts.push(`--nodes ${opts.nodes}`);
  if (opts.clients !== undefined) parts.push(`--clients ${opts.clients}`);
  if (opts.keys !== undefined) parts.push(`--keys ${opts.keys}`);
  if (opts.faultGapMs !== undefined) parts.push(`--gap ${opts.faultGapMs}`);
  if (opts.maxCrashed !== undefined) parts.push(`--max-crashed ${opts.maxCrashed}`);
  if (opts.versioning === 'lww') parts.push('--versioning lww');
  if (opts.w !== undefined) parts.push(`--w ${opts.w}`);
  if (opts.drop?.length) parts.push(`--drop ${opts.drop.join(',')}`);
  return parts.join(' ');
}

/** Seed, faults applied, the run's last events and the replay command: what a failing seed prints. */
export function formatFailure(r: MixedRunResult, opts: MixedRunOptions, lastEvents = 40): string {
  return [
    `seed ${r.seed} FAILED`,
    formatReport(r.report, 20),
    `fault schedule (${r.schedule.length} applied; index = what --drop takes):`,
    ...r.schedule.map(({ index, fault }) => `  #${index} ${formatFault(fault)}`),
    'cluster log (virtual ms):',
    ...r.log.slice(-lastEvents).map((l) => `  ${l}`),
    ...(r.trace ? ['last network events:', r.trace] : []),
    `replay: ${replayCommand(opts)}`,
  ].join('\n');
}
