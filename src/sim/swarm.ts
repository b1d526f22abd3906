// Swarm testing over every fault the simulator has (issue 17, items 1, 2, 5, 6; VOPR's seeded
// options): each seed draws its own fault profile, so a sweep explores combinations no fixed mix
// reaches (Groce et al., "Swarm Testing": leaving a fault out is as useful as putting one in).
//
// Public API:
//   drawProfile(rng)              -> FaultProfile   which fault classes this seed has, and their rates
//   formatProfile(p)              -> string         one line, printed with the seed
//   swarmSchedule(rng, ids, p, durationMs) -> SwarmFault[]
//   runSwarm(opts)                -> Promise<SwarmResult>  one seed: workload under the profile's faults,
//                                    then liveness (recovery.ts), then the final safety check
//   swarmReplay(opts)  formatSwarmFailure(result, opts)
//   shrinkSwarm(opts, failing)    -> Promise<SwarmOptions>  the same seed with as many faults dropped as
//                                    still fail (greedy; what a failure prints after its replay command)
//
// A seed's run, in order: a cluster whose disks are FaultyBackings and whose nodes have their own
// clocks (NodeTime); clients and the schedule run together; then the faults stop (heal, clean links,
// calm disks, restart every node), the ring must converge by itself within LIVENESS_BOUND_MS and
// serve every request; then the usual repair and the checker (checker.ts). All along, every durable
// write is watched for a reissued dot (dots.ts) and every acknowledgement is checked against the
// disks (acks.ts). Any failure, a run that throws, or a rejection nobody handled fails the seed.
// Fault classes: partitions, crashes (with a prefix of the queued writes durable, torn batches), lossy
// links, one wipe of a whole disk, slow disks, latency spikes, read errors, full disks, skewed and
// drifting clocks, clock jumps (up to 40 minutes either way), late timers; paused nodes (GC pauses,
// frozen tabs), one-way cuts, slowed links, loss bursts, and crashes triggered by the node's own
// handoff (hint delivery, key transfer) or anti-entropy traffic. The workload (workload.ts) draws its
// mix (deletes, blind writes), think time, sticky clients, large values and key count per seed too;
// the liveness phase may keep a casualty down (dead, or removed from the ring).

import type { NodeId } from '../ports/transport';
import type { NodeConfig } from '../core/node';
import type { Mutant } from '../core/mutants';
import { check, formatReport, History, type CheckReport } from './checker';
import { SimCluster } from './cluster';
import { AckChecker } from './acks';
import { DotRegistry } from './dots';
import { FaultyBacking, type StorageFaults } from './faulty-storage';
import { NodeTime, type TimeFaults } from './node-time';
import { seededRandom, type SeededRandom } from './random';
import { checkRecovery, formatRecovery, type RecoveryReport } from './recovery';
import { applyFault, faultSchedule, formatFault, repairAndCollect, runClients, type Fault, type Mix } from './workload';

export interface FaultProfile {
  /** Mean virtual ms between network and crash faults. */
  gapMs: number;
  partitions: boolean;
  crashes: boolean;
  links: boolean;
  maxCrashed: number;
  /** One node loses its whole disk once (a cleared IndexedDB) and comes back with the same id. */
  wipe: boolean;
  storage: StorageFaults;
  /** Mean virtual ms between disk-full windows on some node (0: never), and their longest. */
  diskFullGapMs: number;
  diskFullMs: number;
  time: TimeFaults;
  /** Mean virtual ms between wall-clock jumps on some node (0: never), and the largest step. */
  jumpGapMs: number;
  jumpMs: number;
  keys: number;
  w: number | 'any' | undefined;
  /** Upper bound of a client's pause between calls: long pauses stretch the run over virtual minutes. */
  thinkMs: number;
  mix: Mix;
  /** Each client talks only to its home node (a tab's app talks to its own node). */
  sticky: boolean;
  /** Chance a write's value is large, and how large. */
  largeRate: number;
  largeBytes: number;
  /** Liveness with a casualty: one node stays down (dead), or stays down and is removed (removed). */
  casualty: 'none' | 'dead' | 'removed';
  /** Mean virtual ms between each of these (0: never): paused nodes (and their longest pause), one-way
   *  cuts, slowed links, loss bursts, and crashes triggered by a node's own handoff or AAE traffic. */
  pauseGapMs: number;
  pauseMs: number;
  oneWayGapMs: number;
  slowLinkGapMs: number;
  burstGapMs: number;
  crashDuringGapMs: number;
}

export type SwarmFault =
  | Fault
  | { at: number; kind: 'disk-full'; node: NodeId; ms: number }
  | { at: number; kind: 'clock-jump'; node: NodeId; ms: number }
  | { at: number; kind: 'wipe'; node: NodeId }
  | { at: number; kind: 'pause'; node: NodeId; ms: number }
  | { at: number; kind: 'one-way'; from: NodeId; to: NodeId }
  | { at: number; kind: 'slow-link'; a: NodeId; b: NodeId; ms: number }
  | { at: number; kind: 'loss-burst'; ms: number; loss: number }
  | { at: number; kind: 'crash-during'; node: NodeId; work: 'handoff' | 'aae' };

/** Virtual ms the ring gets to converge once the faults stop (hints every second, AAE sweeps every 5 s). */
export const LIVENESS_BOUND_MS = 5 * 60_000;

const on = (rng: SeededRandom): boolean => rng.chance(0.5);

const MIXES: readonly Mix[] = [
  { rmw: 6, blind: 1, chained: 2, read: 1, delete: 1 },
  { rmw: 2, blind: 4, chained: 1, read: 1, delete: 1 },
  { rmw: 4, blind: 1, chained: 1, read: 1, delete: 3 },
];

export function drawProfile(rng: SeededRandom): FaultProfile {
  const more = rng.fork('more');
  const thinkMs = more.pick([20, 20, 250, 1000]);
  // Longer runs get sparser faults, so crashes and partitions outlast failure detection.
  const stretch = Math.sqrt(thinkMs / 20);
  const slowDisk = on(rng);
  const spikes = on(rng);
  const lateTimers = on(rng);
  const clocks = on(rng);
  const w = rng.chance(0.2) ? ('any' as const) : undefined;
  const large = more.chance(0.25);
  const profile: FaultProfile = {
    gapMs: Math.round((80 + rng.int(300)) * stretch),
    partitions: on(rng),
    crashes: on(rng),
    links: on(rng),
    maxCrashed: 1 + rng.int(2),
    // Not with w 'any': a write acknowledged on one disk is really lost when that disk is.
    wipe: w === undefined && on(rng),
    storage: {
      readMs: slowDisk ? [0, 1 + rng.int(10)] : [0, 0],
      writeMs: slowDisk ? [rng.int(3), 3 + rng.int(30)] : [0, 0],
      spikeRate: spikes ? 0.002 + rng.next() * 0.02 : 0,
      spikeMs: spikes ? 100 + rng.int(2000) : 0,
      readErrorRate: on(rng) ? rng.next() * 0.05 : 0,
      durableAtCrash: rng.next(),
      tornBatches: on(rng),
    },
    diskFullGapMs: on(rng) ? 300 + rng.int(2000) : 0,
    diskFullMs: 50 + rng.int(1500),
    time: {
      skewMs: clocks ? rng.int(120_000) : 0,
      driftRate: clocks ? rng.next() * 0.05 : 0,
      lateTimerRate: lateTimers ? rng.next() * 0.3 : 0,
      lateMs: lateTimers ? 100 + rng.int(3000) : 0,
    },
    jumpGapMs: on(rng) ? 500 + rng.int(3000) : 0,
    // Up to 40 minutes: past autoRemoveAfterMs (10), as a machine that slept through a meeting.
    jumpMs: 1000 + rng.int(40 * 60_000),
    keys: more.pick([4, 12, 40, 200]),
    w,
    thinkMs,
    mix: more.pick(MIXES),
    sticky: more.chance(0.5),
    largeRate: large ? 0.05 : 0,
    largeBytes: large ? 20_000 + more.int(200_000) : 0,
    casualty: more.pick(['none', 'none', 'dead', 'removed'] as const),
    ...moreFaults(rng.fork('more-faults'), thinkMs),
  };
  // A removed casualty's disk is gone for good. Not with w 'any' (it may hold a write's one copy),
  // nor after a wipe (a W=2 write on the wiped disk and the casualty's would be on none).
  if (profile.casualty === 'removed' && (w !== undefined || profile.wipe)) profile.casualty = 'dead';
  return profile;
}

/** Item 3's faults: each on for half the seeds, at its own rate. */
function moreFaults(rng: SeededRandom, thinkMs: number): Pick<FaultProfile, 'pauseGapMs' | 'pauseMs' | 'oneWayGapMs' | 'slowLinkGapMs' | 'burstGapMs' | 'crashDuringGapMs'> {
  const gap = (lo: number, spread: number) => (on(rng) ? Math.round((lo + rng.int(spread)) * Math.sqrt(thinkMs / 20)) : 0);
  return {
    pauseGapMs: gap(100, 800),
    // A GC pause (tens of ms) or a frozen hidden tab (seconds, past deadAfterMs).
    pauseMs: rng.chance(0.5) ? 50 + rng.int(500) : 1000 + rng.int(20_000),
    oneWayGapMs: gap(100, 800),
    slowLinkGapMs: gap(100, 800),
    burstGapMs: gap(100, 800),
    crashDuringGapMs: gap(200, 1000),
  };
}

export function formatProfile(p: FaultProfile): string {
  const s = p.storage;
  const parts = [
    `gap ${p.gapMs}ms`,
    p.partitions ? 'partitions' : '',
    p.crashes ? `crashes(max ${p.maxCrashed}, durable-at-crash ${s.durableAtCrash.toFixed(2)}${s.tornBatches ? ', torn' : ''})` : '',
    p.links ? 'lossy-links' : '',
    p.wipe ? 'a wipe' : '',
    s.writeMs[1] > 0 ? `disk r${s.readMs.join('-')}ms w${s.writeMs.join('-')}ms` : '',
    s.spikeRate > 0 ? `spikes ${(s.spikeRate * 100).toFixed(1)}%×${s.spikeMs}ms` : '',
    s.readErrorRate > 0 ? `read-errors ${(s.readErrorRate * 100).toFixed(1)}%` : '',
    p.diskFullGapMs > 0 ? `disk-full every ~${p.diskFullGapMs}ms for ≤${p.diskFullMs}ms` : '',
    p.time.skewMs > 0 ? `skew ±${p.time.skewMs}ms drift ±${(p.time.driftRate * 100).toFixed(1)}%` : '',
    p.time.lateTimerRate > 0 ? `late-timers ${(p.time.lateTimerRate * 100).toFixed(0)}%≤${p.time.lateMs}ms` : '',
    p.jumpGapMs > 0 ? `clock-jumps every ~${p.jumpGapMs}ms ≤±${p.jumpMs}ms` : '',
    `keys ${p.keys}`,
    p.w === undefined ? '' : `w ${p.w}`,
    `think ≤${p.thinkMs}ms`,
    `mix ${Object.entries(p.mix).map(([k, v]) => `${k}:${v}`).join('/')}`,
    p.sticky ? 'sticky clients' : '',
    p.largeRate > 0 ? `large values ${(p.largeRate * 100).toFixed(0)}%×${p.largeBytes}B` : '',
    p.casualty === 'none' ? '' : `casualty ${p.casualty}`,
    p.pauseGapMs > 0 ? `pauses every ~${p.pauseGapMs}ms ≤${p.pauseMs}ms` : '',
    p.oneWayGapMs > 0 ? `one-way cuts every ~${p.oneWayGapMs}ms` : '',
    p.slowLinkGapMs > 0 ? `slow links every ~${p.slowLinkGapMs}ms` : '',
    p.burstGapMs > 0 ? `loss bursts every ~${p.burstGapMs}ms` : '',
    p.crashDuringGapMs > 0 ? `crashes mid-handoff/AAE every ~${p.crashDuringGapMs}ms` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

function allowed(p: FaultProfile, f: Fault): boolean {
  if (f.kind === 'partition' || f.kind === 'isolate' || f.kind === 'heal') return p.partitions;
  if (f.kind === 'crash' || f.kind === 'restart') return p.crashes;
  return p.links;
}

function timeline(rng: SeededRandom, meanGapMs: number, durationMs: number, make: (at: number) => SwarmFault): SwarmFault[] {
  const out: SwarmFault[] = [];
  if (meanGapMs <= 0) return out;
  for (let at = meanGapMs * (0.25 + 1.5 * rng.next()); at < durationMs; at += meanGapMs * (0.25 + 1.5 * rng.next())) out.push(make(Math.round(at)));
  return out;
}

export function swarmSchedule(rng: SeededRandom, ids: readonly NodeId[], p: FaultProfile, durationMs: number): SwarmFault[] {
  const base = faultSchedule(rng.fork('base'), ids, { durationMs, meanGapMs: p.gapMs, maxCrashed: p.maxCrashed }).filter((f) => allowed(p, f));
  const disk = rng.fork('disk');
  const full = timeline(disk, p.diskFullGapMs, durationMs, (at) => ({ at, kind: 'disk-full', node: disk.pick(ids), ms: 1 + disk.int(p.diskFullMs) }));
  const clock = rng.fork('clock');
  const jumps = timeline(clock, p.jumpGapMs, durationMs, (at) => ({ at, kind: 'clock-jump', node: clock.pick(ids), ms: Math.round((clock.next() * 2 - 1) * p.jumpMs) }));
  const wipes: SwarmFault[] = p.wipe ? [{ at: Math.round(disk.next() * durationMs), kind: 'wipe', node: disk.pick(ids) }] : [];
  const r = rng.fork('more');
  const two = () => {
    const [a, b] = r.shuffle([...ids]);
    return [a as NodeId, b as NodeId] as const;
  };
  const more = [
    ...timeline(r, p.pauseGapMs, durationMs, (at) => ({ at, kind: 'pause', node: r.pick(ids), ms: 1 + r.int(p.pauseMs) })),
    ...timeline(r, p.oneWayGapMs, durationMs, (at) => {
      const [from, to] = two();
      return { at, kind: 'one-way', from, to };
    }),
    ...timeline(r, p.slowLinkGapMs, durationMs, (at) => {
      const [a, b] = two();
      return { at, kind: 'slow-link', a, b, ms: 20 + r.int(500) };
    }),
    ...timeline(r, p.burstGapMs, durationMs, (at) => ({ at, kind: 'loss-burst', ms: 50 + r.int(1500), loss: 0.3 + 0.6 * r.next() })),
    ...(p.crashes ? timeline(r, p.crashDuringGapMs, durationMs, (at) => ({ at, kind: 'crash-during', node: r.pick(ids), work: r.pick(['handoff', 'aae'] as const) })) : []),
  ] satisfies SwarmFault[];
  // Stable: faults at the same time keep their source order, so the merge is a function of the seed.
  return [...base, ...full, ...jumps, ...wipes, ...more].sort((a, b) => a.at - b.at);
}

export function formatSwarmFault(f: SwarmFault): string {
  if (f.kind === 'disk-full') return `t=${f.at} disk-full ${f.node} for ${f.ms}ms`;
  if (f.kind === 'clock-jump') return `t=${f.at} clock-jump ${f.node} by ${f.ms}ms`;
  if (f.kind === 'wipe') return `t=${f.at} wipe ${f.node}`;
  if (f.kind === 'pause') return `t=${f.at} pause ${f.node} for ${f.ms}ms`;
  if (f.kind === 'one-way') return `t=${f.at} one-way cut ${f.from} -> ${f.to}`;
  if (f.kind === 'slow-link') return `t=${f.at} slow link ${f.a} <-> ${f.b} up to ${f.ms}ms`;
  if (f.kind === 'loss-burst') return `t=${f.at} loss burst ${(f.loss * 100).toFixed(0)}% for ${f.ms}ms`;
  if (f.kind === 'crash-during') return `t=${f.at} crash ${f.node} at its next ${f.work} message`;
  return formatFault(f);
}

export interface SwarmOptions {
  seed: number;
  /** Client calls. Default 300. */
  ops?: number;
  /** Indices into the schedule to leave out (shrinking). */
  drop?: readonly number[];
  config?: Partial<NodeConfig>;
  trace?: number;
  /** A deliberate bug every node runs with (core/mutants.ts): the seed should fail. */
  mutant?: Mutant;
}

export interface SwarmResult {
  seed: number;
  ok: boolean;
  profile: FaultProfile;
  schedule: Array<{ index: number; fault: SwarmFault }>;
  applied: number;
  report: CheckReport | undefined;
  recovery: RecoveryReport | undefined;
  reissued: DotRegistry;
  acks: AckChecker;
  /** The run itself failed (a deadlock, a node that threw): the message. */
  error: string | undefined;
  virtualMs: number;
  steps: number;
  log: string[];
  trace: string;
}

const CLIENTS = 6;

export async function runSwarm(opts: SwarmOptions): Promise<SwarmResult> {
  const root = seededRandom(opts.seed).fork('swarm');
  const profile = drawProfile(root.fork('profile'));
  const backings = new Map<NodeId, FaultyBacking>();
  const times = new Map<NodeId, NodeTime>();
  const dots = new DotRegistry();
  const acks = new AckChecker(backings, (key, value) => dots.dotOf(key, value), () => cluster?.clock.now() ?? 0);
  const result: SwarmResult = {
    seed: opts.seed, ok: false, profile, schedule: [], applied: 0, report: undefined, recovery: undefined,
    reissued: dots, acks, error: undefined, virtualMs: 0, steps: 0, log: [], trace: '',
  };
  let cluster: SimCluster | undefined;
  // A rejection nobody handles is a defect (a Node replica exits on one): it fails the seed.
  const unhandled = (err: unknown) => void (result.error ??= `unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const proc = typeof process === 'object' ? process : undefined;
  proc?.on('unhandledRejection', unhandled);
  try {
    cluster = await SimCluster.create({
      seed: opts.seed,
      nodes: 5,
      // Reaping within the run: the grace outlasts every fault (a hint or stray copy older than the
      // grace may bring a deleted value back by design, node-config.ts), and a round every 2 s.
      config: { tombstoneGraceMs: faultsLastMs(profile, opts.ops ?? 300) + 30_000, reapIntervalMs: 2_000, ...opts.config },
      network: { trace: opts.trace ?? 0 },
      ...(opts.mutant ? { mutants: new Set([opts.mutant]) } : {}),
      storage: (id, clock) => {
        const b = new FaultyBacking(clock, root.fork(`disk:${id}`), profile.storage, dots.observer(id));
        backings.set(id, b);
        return b;
      },
      time: (id) => {
        if (!times.has(id)) times.set(id, new NodeTime(profile.time, root.fork(`time:${id}`)));
        return times.get(id);
      },
    });
    const machines: Machines = { backings, times, acks, slowed: [], trigger: undefined, stopped: false };
    watchSends(cluster, machines);
    await runPhases(cluster, opts, result, machines);
  } catch (err) {
    result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  if (cluster) {
    result.virtualMs = cluster.clock.now();
    result.steps = cluster.clock.steps;
    result.log = [...cluster.log];
    result.trace = cluster.net.formatTrace(opts.trace ?? 0);
    await cluster.stop().catch(() => undefined);
  }
  proc?.off('unhandledRejection', unhandled);
  result.ok = result.error === undefined && !!result.report?.ok && !!result.recovery?.ok && dots.count === 0 && acks.count === 0;
  return result;
}

interface Machines {
  backings: Map<NodeId, FaultyBacking>;
  times: Map<NodeId, NodeTime>;
  acks: AckChecker;
  /** Links slowed by the schedule (cleared when the faults stop). */
  slowed: Array<[NodeId, NodeId]>;
  /** An armed crash-during: the node crashes right after it sends a frame of that type. */
  trigger: { node: NodeId; prefix: string; until: number } | undefined;
  /** The faults stopped: a pending restart of a crash-during is left to stopFaults. */
  stopped: boolean;
}

/** How long an armed crash-during waits for its kind of traffic before it lapses. */
const TRIGGER_WAIT_MS = 10_000;
/** A node crashed mid-transfer comes back this much later. */
const RESTART_AFTER_MS = 2_000;

/** The network hook behind crash-during: the send goes out, then the node dies before its next step. */
function watchSends(cluster: SimCluster, m: Machines): void {
  cluster.net.onSend = (from, _to, data) => {
    const t = m.trigger;
    if (!t || t.node !== from) return;
    if (cluster.clock.now() > t.until) return void (m.trigger = undefined);
    // A frame is an 8-digit checksum, then the message's JSON (protocol/messages.ts, seal).
    if (!data.startsWith(t.prefix, 8)) return;
    m.trigger = undefined;
    cluster.clock.scheduleAt(cluster.clock.now(), () => cluster.crash(from), undefined);
    cluster.clock.scheduleAt(cluster.clock.now() + RESTART_AFTER_MS, () => void (m.stopped ? undefined : restart(cluster, m, from).catch(() => undefined)), undefined);
  };
}

/** The workload under faults, then liveness, then repair and the safety check. */
async function runPhases(cluster: SimCluster, opts: SwarmOptions, result: SwarmResult, m: Machines): Promise<void> {
  const p = result.profile;
  for (const b of m.backings.values()) b.armed = true;
  const ops = opts.ops ?? 300;
  const keys = Array.from({ length: p.keys }, (_, i) => `k${i}`);
  const durationMs = faultsLastMs(p, ops);
  const dropped = new Set(opts.drop ?? []);
  const generated = swarmSchedule(seededRandom(opts.seed).fork('swarm').fork('schedule'), cluster.ids, p, durationMs);
  const schedule = generated.map((fault, index) => ({ index, fault })).filter((f) => !dropped.has(f.index));
  const history = new History();
  let done = false;
  const onAck = (key: string, value: string, replicas: number) => m.acks.onAck(key, value, replicas);
  const ids = [...cluster.ids];
  const work = runClients(cluster, history, {
    ops,
    clients: CLIENTS,
    keys,
    onAck,
    thinkMs: p.thinkMs,
    mix: p.mix,
    largeRate: p.largeRate,
    largeBytes: p.largeBytes,
    ...(p.sticky ? { nodesFor: (c: string) => [ids[Number(c.slice(1)) % ids.length] as NodeId] } : {}),
    ...(p.w === undefined ? {} : { w: p.w }),
  }).finally(() => (done = true));
  const faults = schedule.map((s) => s.fault);
  const [, applied] = await cluster.drive(Promise.all([work, applySwarmFaults(cluster, m, faults, () => done)]));
  result.schedule = schedule.slice(0, applied);
  result.applied = applied;
  await stopFaults(cluster, m);
  const down = await casualty(cluster, p, seededRandom(opts.seed).fork('casualty'));
  const fresh = down.length === 0 || (!p.wipe && p.w === undefined);
  result.recovery = await checkRecovery(cluster, history, keys, { boundMs: LIVENESS_BOUND_MS, down, fresh });
  result.report = check(history, await repairAndCollect(cluster, history, keys));
}

async function applySwarmFaults(cluster: SimCluster, m: Machines, faults: readonly SwarmFault[], done: () => boolean): Promise<number> {
  const start = cluster.clock.now();
  let applied = 0;
  for (const f of faults) {
    const wait = start + f.at - cluster.clock.now();
    if (wait > 0) await cluster.sleep(wait);
    if (done()) break;
    await applyOne(cluster, m, f);
    applied++;
  }
  return applied;
}

async function applyOne(cluster: SimCluster, m: Machines, f: SwarmFault): Promise<void> {
  const now = cluster.clock.now();
  if (f.kind === 'pause') return cluster.pause(f.node, f.ms);
  if (f.kind === 'one-way') return void (cluster.net.block(f.from, f.to), cluster.log.push(`${now.toFixed(3).padStart(12)}  one-way cut ${f.from} -> ${f.to}`));
  if (f.kind === 'slow-link') return void (cluster.net.setLink(f.a, f.b, { minDelayMs: f.ms / 2, maxDelayMs: f.ms }), m.slowed.push([f.a, f.b]));
  if (f.kind === 'loss-burst') return cluster.net.burst(now + f.ms, f.loss);
  if (f.kind === 'crash-during') return void (m.trigger = { node: f.node, prefix: `{"type":"${f.work}"`, until: now + TRIGGER_WAIT_MS });
  if (f.kind === 'disk-full') return m.backings.get(f.node)?.fill(cluster.clock.now() + f.ms);
  if (f.kind === 'clock-jump') return m.times.get(f.node)?.jump(f.ms);
  if (f.kind === 'restart') return restart(cluster, m, f.node);
  if (f.kind === 'wipe') return wipe(cluster, m, f.node);
  return applyFault(cluster, f);
}

/** Acknowledgements of writes the wiped disk had stored may still be on their way: not checked. */
const ACK_GRACE_AFTER_WIPE_MS = 10_000;

async function wipe(cluster: SimCluster, m: Machines, id: NodeId): Promise<void> {
  const b = m.backings.get(id);
  if (b) b.armed = false;
  m.acks.pauseUntil(cluster.clock.now() + ACK_GRACE_AFTER_WIPE_MS);
  await cluster.wipe(id);
  if (b) b.armed = true;
}

/** A restart with the disk's errors held back until the node serves (faulty-storage.ts, "armed"). */
async function restart(cluster: SimCluster, m: Machines, id: NodeId): Promise<void> {
  if (cluster.isUp(id)) return;
  const b = m.backings.get(id);
  if (b) b.armed = false;
  await cluster.restart(id);
  if (b) b.armed = true;
}

/**
 * VOPR's liveness mode keeps a core of the cluster up, not all of it: with a casualty one node
 * crashes for good as the faults stop (the ring must route around it: failure detection, sloppy
 * quorum), and with 'removed' a member also removes it (its partitions move to the rest).
 */
async function casualty(cluster: SimCluster, p: FaultProfile, rng: SeededRandom): Promise<NodeId[]> {
  if (p.casualty === 'none') return [];
  const victim = rng.pick(cluster.ids);
  cluster.crash(victim);
  if (p.casualty === 'dead') return [victim];
  await cluster.removeMember(rng.pick(cluster.ids.filter((id) => id !== victim)), victim);
  return [];
}

/** Virtual ms the faults are spread over: about how long the clients take. */
function faultsLastMs(p: FaultProfile, ops: number): number {
  return (ops / CLIENTS) * (25 + p.thinkMs / 2);
}

/** The end of the faults: links healed and clean, disks calm (still slow), timers on time, every node up. */
async function stopFaults(cluster: SimCluster, m: Machines): Promise<void> {
  m.trigger = undefined;
  m.stopped = true;
  for (const [a, b] of m.slowed) cluster.net.setLink(a, b, null);
  cluster.net.burst(0, 0);
  cluster.heal();
  cluster.configureNetwork({ loss: 0, duplicate: 0, reorder: false });
  for (const b of m.backings.values()) b.calm();
  for (const t of m.times.values()) t.calm();
  for (const id of cluster.ids) await restart(cluster, m, id);
  await cluster.waitForMesh();
}

/**
 * Greedy shrinking of a failing seed: drop each applied fault in turn, keep the drop if the seed
 * still fails. Each rerun is exact (seeded), so this costs one run per applied fault.
 */
export async function shrinkSwarm(opts: SwarmOptions, failing: SwarmResult): Promise<SwarmOptions> {
  let best = opts;
  for (const { index } of failing.schedule) {
    const trial = { ...best, drop: [...(best.drop ?? []), index] };
    if (!(await runSwarm(trial)).ok) best = trial;
  }
  return best;
}

/** The command that reruns one seed of the swarm exactly. */
export function swarmReplay(opts: SwarmOptions): string {
  const parts = [`npm run sim -- --faults all --seeds 1 --start ${opts.seed} --ops ${opts.ops ?? 300}`];
  if (opts.drop?.length) parts.push(`--drop ${opts.drop.join(',')}`);
  if (opts.mutant) parts.push(`--mutant ${opts.mutant}`);
  return parts.join(' ');
}

/** Seed, profile, what failed, the faults applied, the last events and the replay command. */
export function formatSwarmFailure(r: SwarmResult, opts: SwarmOptions, lastEvents = 40): string {
  return [
    `seed ${r.seed} FAILED  profile: ${formatProfile(r.profile)}`,
    ...(r.error ? [`run error: ${r.error}`] : []),
    ...(r.report ? [formatReport(r.report, 20)] : []),
    ...(r.recovery ? [formatRecovery(r.recovery)] : []),
    ...(r.reissued.count ? [`reissued dots: ${r.reissued.count}`, ...r.reissued.reissued.map((x) => `  ${x.key} dot ${x.dot}: ${x.first} then ${x.second} (on ${x.node})`)] : []),
    ...(r.acks.count ? [`acknowledged before durable: ${r.acks.count}`, ...r.acks.violations.map((v) => `  ${v}`)] : []),
    `fault schedule (${r.schedule.length} applied; index = what --drop takes):`,
    ...r.schedule.map(({ index, fault }) => `  #${index} ${formatSwarmFault(fault)}`),
    'cluster log (virtual ms):',
    ...r.log.slice(-lastEvents).map((l) => `  ${l}`),
    ...(r.trace ? ['last network events:', r.trace] : []),
    `replay: ${swarmReplay(opts)}`,
  ].join('\n');
}
