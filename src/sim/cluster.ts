// A deterministic Dynamo cluster in one process (paper §4, §6: the system under failures), built from the
// same ports the browser uses: one VirtualClock, one seeded Random, one SimNetwork, a storage backing per node.
//
// Public API:
//   SimCluster.create({ seed, nodes?, config?, network?, logSize?, storage?, time? })
//                                           -> Promise<SimCluster> (full mesh up); storage/time: per-node
//                                           disk and wall clock (faulty-storage.ts, node-time.ts)
//   .ids  .clock  .net  .rng  .log          node ids (n0, n1, ...), the substrate, and the fault log
//   .node(id) -> DynamoCore                 throws NodeDownError if crashed
//   .isUp(id)
//   .put(id, key, value, ctx?, opts?)  .get(id, key, opts?)  .delete(id, key, ctx, opts?)
//                                           client calls; a crash of `id` rejects them with CrashedError
//   .crash(id)  .restart(id)                crash keeps the node's storage; restart reopens it, same id
//   .wipe(id)  .damage(id, fn)               storage loss: crash, erase everything / edit the key records, restart
//   .addNode(id)  .leave(id)  .removeMember(by, id)
//                                           membership changes: a new node joins; a node leaves (hands
//                                           its data over, then stops); a member is removed by another
//   .partition(groups)  .isolate(id)  .heal()  .configureNetwork(cfg)
//   .pause(id, ms)                          the node's timers and incoming messages wait (GC, frozen tab)
//   .sleep(ms)                              a promise on virtual time (for client and fault coroutines)
//   .settle()                               lets every pending microtask run (no virtual time passes)
//   .run(ms)  .runUntil(pred, { maxTime? })  .drive(promise, { maxTime? })
//   .until(pred, { maxTime?, pollMs? })  .waitForMesh()
//                                           drive/run/until also work inside a running simulation
//                                           (a client coroutine): there they wait for the outer loop
//   .replicaSet(id, key)  .hintsHeld(id)     direct inspection of a node's durable state
//   .stop()
//
// Determinism. Node code is async, but every promise in it resolves through microtasks (the storage
// here, the network's delivery through clock events). The run loop alternates two things: run one
// clock event, then let the microtask queue drain completely (wait for a nextTick, which Node runs
// only after every microtask, including ones queued by microtasks; every 256th event, and in a
// browser every event, a macrotask instead). So every event sees all reactions to the previous one,
// as if each were a macrotask, and the order of everything is a function of the seed. Nothing in the
// core or the sim uses real timers or I/O, so no outside event can change what happens in between.
//
// Crashes. A crashed node's transport dies (no sends, no deliveries), its storage handle is retired,
// its pending timers become no-ops (the clock is shared, so each node gets a guarded view of it), and
// its clients' pending calls reject with CrashedError: their outcome is unknown, as for a real client.

import type { Clock, CancelTimer } from '../ports/clock';
import type { Json, KeyRecord } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { DynamoCore, type GetResult, type NodeConfig, type PutResult, type RequestOptions, type WriteOptions } from '../core/node';
import type { Mutants } from '../core/mutants';
import * as versions from '../core/versions';
import type { SiblingSet } from '../core/versions';
import { VirtualClock } from './clock';
import { SimNetwork, type SimNetworkConfig } from './network';
import { seededRandom, type SeededRandom } from './random';
import type { NodeTimeModel } from './node-time';
import { SimStorageBacking } from './storage';

export interface SimClusterOptions {
  seed: number;
  /** A count (ids n0..n{k-1}) or explicit ids. Default 5. */
  nodes?: number | NodeId[];
  config?: Partial<NodeConfig>;
  network?: Partial<SimNetworkConfig>;
  /** Entries kept in the cluster's fault log (crash, restart, partition, ...). Default 200. */
  logSize?: number;
  /** Each node's disk (default a plain SimStorageBacking); faulty-storage.ts makes one that misbehaves. */
  storage?: (id: NodeId, clock: VirtualClock) => SimStorageBacking;
  /** Each node's wall clock and timer lateness (node-time.ts); default: the shared clock, exact. */
  time?: (id: NodeId) => NodeTimeModel | undefined;
  /** Per-node config on top of `config` (a node's zone, say). */
  nodeConfig?: (id: NodeId) => Partial<NodeConfig>;
  /** Deliberate bugs every node is built with (core/mutants.ts): the checkers must catch them. */
  mutants?: Mutants;
}

/** The call was never made: its node was down when the client called. Nothing was written. */
export class NodeDownError extends Error {
  override readonly name = 'NodeDownError';
}

/** The node crashed while the call was pending: the write may or may not have happened. */
export class CrashedError extends Error {
  override readonly name = 'CrashedError';
}

/** A Clock view for one node incarnation: once it crashes, its timers never fire again. */
class NodeClock implements Clock {
  alive = true;
  /** Paused (a GC pause, a frozen tab): timers due before then fire then. */
  pausedUntil = 0;
  /** One guard per incarnation, so a timer costs no wrapper object (nodes set one per request). */
  private readonly fireGuarded = (fn: () => void): void => {
    if (this.pausedUntil > this.clock.now()) return void this.clock.scheduleAt(this.pausedUntil, this.fireGuarded, fn);
    if (this.alive) fn();
  };
  constructor(
    private readonly clock: VirtualClock,
    private readonly time?: NodeTimeModel,
  ) {}

  now(): number {
    return this.time ? this.time.read(this.clock.now()) : this.clock.now();
  }

  setTimer(ms: number, fn: () => void): CancelTimer {
    const delay = ms > 0 ? ms : 0;
    const h = this.clock.scheduleAt(this.clock.now() + (this.time ? this.time.delay(delay) : delay), this.fireGuarded, fn);
    return () => this.clock.cancel(h);
  }
}

/** One life of a node, from start (or restart) to crash. */
interface Incarnation {
  node: DynamoCore;
  clock: NodeClock;
  /** Rejecters of client calls still pending on this node. */
  pending: Set<(err: Error) => void>;
}

const DEFAULT_MAX_TIME = 3_600_000;

/**
 * Resolves in a later macrotask, so after the microtask queue has fully drained. A MessageChannel
 * round trip does this in about a microsecond in Node (setImmediate takes several); settle() and
 * the run loop now and then wait on one. The port holds the process open only while someone waits.
 */
type NodePort = MessagePort & { ref?: () => void; unref?: () => void };
let port: { send: NodePort; receive: NodePort } | undefined;
const waiting: Array<() => void> = [];

function macrotask(): Promise<void> {
  if (!port) {
    const ch = new MessageChannel();
    port = { send: ch.port2, receive: ch.port1 };
    ch.port1.onmessage = onBarrier;
  }
  const p = port;
  return new Promise((resolve) => {
    if (waiting.length === 0) p.receive.ref?.();
    waiting.push(resolve);
    p.send.postMessage(0);
  });
}

function onBarrier(): void {
  waiting.shift()?.();
  if (waiting.length === 0) port?.receive.unref?.();
}

/**
 * The same barrier without leaving the macrotask, for callers already inside a microtask (an async
 * function past its first await). Node runs nextTick callbacks only once the microtask queue is
 * empty, so this resolves after every microtask queued so far and every one they queue. Why: the
 * run loop waits once per clock event, and a MessageChannel round trip (an event object, a trip
 * through libuv) was a tenth of the simulator's time. Elsewhere (a browser) it is the macrotask.
 */
const nextTick = typeof process === 'object' && typeof process.nextTick === 'function' ? process.nextTick : undefined;

function drained(): Promise<void> {
  return nextTick ? new Promise((resolve) => nextTick(resolve)) : macrotask();
}

/**
 * Clock events the run loop runs between real macrotasks. Other real events (test timeouts, I/O)
 * run only there; they never touch the simulation, so the batch size changes nothing in a run.
 */
const EVENTS_PER_MACROTASK = 256;

export class SimCluster {
  readonly clock = new VirtualClock();
  readonly rng: SeededRandom;
  readonly net: SimNetwork;
  /** Nodes of the ring: the initial ones plus added ones, minus those that left or were removed. */
  readonly ids: NodeId[];
  /** Recent faults and lifecycle events, "time  what", oldest first. */
  readonly log: string[] = [];
  private readonly backings = new Map<NodeId, SimStorageBacking>();
  private readonly live = new Map<NodeId, Incarnation>();
  private readonly booting = new Map<NodeId, NodeClock>();
  /** True while a run loop is stepping the clock: nested drive/run calls must not step it too. */
  private running = false;
  private readonly starts = new Map<NodeId, number>();
  private readonly logSize: number;
  private readonly newBacking: (id: NodeId, clock: VirtualClock) => SimStorageBacking;
  private readonly timeOf: (id: NodeId) => NodeTimeModel | undefined;
  private readonly nodeConfig: ((id: NodeId) => Partial<NodeConfig>) | undefined;
  private readonly mutants: Mutants | undefined;

  private constructor(
    readonly seed: number,
    ids: NodeId[],
    readonly config: Partial<NodeConfig>,
    network: Partial<SimNetworkConfig>,
    opts: SimClusterOptions,
  ) {
    this.rng = seededRandom(seed);
    this.net = new SimNetwork(this.clock, this.rng.fork('network'), network);
    this.ids = ids;
    this.logSize = opts.logSize ?? 200;
    this.newBacking = opts.storage ?? (() => new SimStorageBacking());
    this.timeOf = opts.time ?? (() => undefined);
    this.nodeConfig = opts.nodeConfig;
    this.mutants = opts.mutants;
    for (const id of ids) this.backings.set(id, this.newBacking(id, this.clock));
  }

  static async create(opts: SimClusterOptions): Promise<SimCluster> {
    const nodes = opts.nodes ?? 5;
    const ids = typeof nodes === 'number' ? Array.from({ length: nodes }, (_, i) => `n${i}`) : [...nodes];
    const c = new SimCluster(opts.seed, ids, opts.config ?? {}, opts.network ?? {}, opts);
    await c.drive(Promise.all(ids.map((id) => c.boot(id))));
    await c.waitForMesh();
    return c;
  }

  // ---- nodes ---------------------------------------------------------------------------------

  node(id: NodeId): DynamoCore {
    const inc = this.live.get(id);
    if (!inc) throw new NodeDownError(`node ${id} is down`);
    return inc.node;
  }

  isUp(id: NodeId): boolean {
    return this.live.has(id);
  }

  /** Abrupt stop: storage is kept, everything in flight to or from the node is lost. */
  crash(id: NodeId): void {
    const inc = this.live.get(id);
    const booting = this.booting.get(id);
    if (!inc && !booting) return;
    this.live.delete(id);
    this.booting.delete(id);
    (inc?.clock ?? (booting as NodeClock)).alive = false;
    this.net.crash(id);
    this.backingOf(id).retire();
    const err = new CrashedError(`node ${id} crashed with the call pending`);
    for (const reject of inc?.pending ?? []) reject(err);
    inc?.pending.clear();
    this.note(`crash ${id}`);
  }

  /** A new DynamoCore over the same storage and id (crashing the running one first, if any). */
  async restart(id: NodeId): Promise<void> {
    this.crash(id);
    this.note(`restart ${id}`);
    await this.drive(this.boot(id));
  }

  /** The node loses its whole store (a cleared IndexedDB) and starts again with the same id. */
  async wipe(id: NodeId): Promise<void> {
    await this.damage(id, (keys, meta) => (keys.clear(), meta.clear()));
  }

  /** Crashes the node, lets `fn` edit what its "disk" holds, and restarts it. */
  async damage(id: NodeId, fn: (keys: Map<string, KeyRecord>, meta: Map<string, Json>) => void): Promise<void> {
    this.crash(id);
    const b = this.backingOf(id);
    fn(b.keys, b.meta);
    this.note(`damage ${id}`);
    await this.restart(id);
  }

  /** Starts a node that was never part of the cluster; it joins the ring and gossips its way in. */
  async addNode(id: NodeId): Promise<void> {
    if (this.backings.has(id)) throw new RangeError(`node ${id} already exists`);
    this.backings.set(id, this.newBacking(id, this.clock));
    this.ids.push(id);
    this.note(`add ${id}`);
    await this.drive(this.boot(id));
  }

  /** node.leave() on `id`: resolves once it handed its partitions over and stopped. */
  async leave(id: NodeId, opts?: { timeoutMs?: number }): Promise<Awaited<ReturnType<DynamoCore['leave']>>> {
    const node = this.node(id);
    this.note(`leave ${id}`);
    this.forget(id);
    const result = await this.drive(node.leave(opts));
    this.live.delete(id);
    return result;
  }

  /** `by` removes `id` from the ring (typically a crashed node that is not coming back). */
  async removeMember(by: NodeId, id: NodeId): Promise<void> {
    this.note(`remove ${id} (by ${by})`);
    this.forget(id);
    await this.drive(this.node(by).removeMember(id));
  }

  private forget(id: NodeId): void {
    const i = this.ids.indexOf(id);
    if (i >= 0) this.ids.splice(i, 1);
  }

  private async boot(id: NodeId): Promise<void> {
    const n = (this.starts.get(id) ?? 0) + 1;
    this.starts.set(id, n);
    const clock = new NodeClock(this.clock, this.timeOf(id));
    this.booting.set(id, clock);
    const deps = {
      id,
      transport: this.net.open(id),
      storage: this.backingOf(id).open(),
      clock,
      random: this.rng.fork(`node:${id}:${n}`),
      ...(this.mutants ? { mutants: this.mutants } : {}),
    };
    const node = await DynamoCore.start(deps, this.nodeConfig ? { ...this.config, ...this.nodeConfig(id) } : this.config);
    // A crash during start leaves a node nobody may use: its clock is already dead.
    if (!clock.alive) return;
    this.booting.delete(id);
    this.live.set(id, { node, clock, pending: new Set() });
  }

  private backingOf(id: NodeId): SimStorageBacking {
    const b = this.backings.get(id);
    if (!b) throw new RangeError(`unknown node ${id}`);
    return b;
  }

  /**
   * The node stops for `ms` (a GC pause, a hidden tab the browser froze): its timers and the
   * messages reaching it wait until then. Work already running (a storage completion) goes on.
   */
  pause(id: NodeId, ms: number): void {
    const inc = this.live.get(id);
    if (!inc) return;
    inc.clock.pausedUntil = Math.max(inc.clock.pausedUntil, this.clock.now() + ms);
    this.net.pause(id, this.clock.now() + ms);
    this.note(`pause ${id} for ${ms}ms`);
  }

  // ---- network faults --------------------------------------------------------------------------

  partition(groups: NodeId[][]): void {
    this.net.partition(groups);
    this.note(`partition ${groups.map((g) => `{${g.join(',')}}`).join('|')}`);
  }

  isolate(id: NodeId): void {
    this.net.isolate(id);
    this.note(`isolate ${id}`);
  }

  heal(): void {
    this.net.heal();
    this.note('heal');
  }

  configureNetwork(cfg: Partial<SimNetworkConfig>): void {
    this.net.configure(cfg);
    this.note(`network ${JSON.stringify(cfg)}`);
  }

  private note(what: string): void {
    this.log.push(`${this.clock.now().toFixed(3).padStart(12)}  ${what}`);
    if (this.log.length > this.logSize) this.log.shift();
  }

  // ---- client calls ----------------------------------------------------------------------------

  put(id: NodeId, key: string, value: Json, context?: string, opts?: WriteOptions): Promise<PutResult> {
    return this.call(id, (n) => n.put(key, value, context, opts));
  }

  get(id: NodeId, key: string, opts?: RequestOptions & { r?: number }): Promise<GetResult> {
    return this.call(id, (n) => n.get(key, opts));
  }

  delete(id: NodeId, key: string, context: string, opts?: WriteOptions): Promise<PutResult> {
    return this.call(id, (n) => n.delete(key, context, opts));
  }

  /** Runs `op` on the node's current incarnation; a crash of that incarnation rejects it. */
  private call<T>(id: NodeId, op: (node: DynamoCore) => Promise<T>): Promise<T> {
    const inc = this.live.get(id);
    if (!inc) return Promise.reject(new NodeDownError(`node ${id} is down`));
    return new Promise<T>((resolve, reject) => {
      inc.pending.add(reject);
      op(inc.node).then(
        (v) => (inc.pending.delete(reject), resolve(v)),
        (e: unknown) => (inc.pending.delete(reject), reject(e)),
      );
    });
  }

  // ---- time ----------------------------------------------------------------------------------

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => void this.clock.setTimer(ms, resolve));
  }

  /** Drains the microtask queue: everything the last event set off runs before the next one. */
  settle(): Promise<void> {
    return macrotask();
  }

  /**
   * Runs events one at a time until `pred` holds; false if the clock went idle or maxTime passed.
   * Only the outermost loop steps the clock; code running inside it (a client or fault coroutine)
   * uses drive, run and sleep, which then just wait for the outer loop.
   */
  async runUntil(pred: () => boolean, opts: { maxTime?: number } = {}): Promise<boolean> {
    if (this.running) throw new Error('runUntil called inside a running simulation: use drive/sleep there');
    this.running = true;
    try {
      return await this.loop(pred, this.clock.now() + (opts.maxTime ?? Infinity));
    } finally {
      this.running = false;
    }
  }

  private async loop(pred: () => boolean, deadline: number): Promise<boolean> {
    await this.settle();
    for (let n = 1; !pred(); n++) {
      const next = this.clock.nextTime();
      if (next === undefined || next > deadline) {
        if (deadline !== Infinity) this.clock.advance(deadline - this.clock.now());
        return pred();
      }
      this.clock.step();
      // Past the first await this runs inside a microtask, as drained() requires.
      await (n % EVENTS_PER_MACROTASK === 0 ? this.settle() : drained());
    }
    return true;
  }

  /** Advances virtual time by `ms`, running everything due on the way. */
  async run(ms: number): Promise<void> {
    if (this.running) return this.sleep(ms);
    await this.runUntil(() => false, { maxTime: ms });
  }

  /** Runs the cluster until `p` settles, then returns its result (or throws its error). */
  async drive<T>(p: Promise<T>, opts: { maxTime?: number } = {}): Promise<T> {
    if (this.running) return p;
    let settled = false;
    const mark = () => void (settled = true);
    p.then(mark, mark);
    const maxTime = opts.maxTime ?? DEFAULT_MAX_TIME;
    if (!(await this.runUntil(() => settled, { maxTime }))) {
      const why = this.clock.nextTime() === undefined ? 'the clock went idle (deadlock)' : `${maxTime} virtual ms passed`;
      throw new Error(`drive: promise still pending at virtual time ${this.clock.now()} ms: ${why}`);
    }
    return p;
  }

  /**
   * Waits until `pred` holds: the outermost caller runs the clock; code inside a run polls it every
   * `pollMs` of virtual time. False if maxTime passed first.
   */
  async until(pred: () => boolean, opts: { maxTime?: number; pollMs?: number } = {}): Promise<boolean> {
    const maxTime = opts.maxTime ?? DEFAULT_MAX_TIME;
    if (!this.running) return this.runUntil(pred, { maxTime });
    const deadline = this.clock.now() + maxTime;
    while (!pred()) {
      if (this.clock.now() >= deadline) return false;
      await this.sleep(opts.pollMs ?? 10);
    }
    return true;
  }

  /** Waits until every live node sees every other live node up and knows every ring node as a member. */
  async waitForMesh(maxTime = 60_000): Promise<void> {
    if (!(await this.until(() => this.meshed(), { maxTime }))) throw new Error(`mesh not formed within ${maxTime} virtual ms`);
  }

  private meshed(): boolean {
    const up = this.ids.filter((id) => this.live.has(id));
    return up.every((id) => {
      const members = this.live.get(id)!.node.members();
      const status = new Map(members.map((m) => [m.id, m.status]));
      return members.length === this.ids.length && this.ids.every((x) => status.has(x)) && up.every((x) => status.get(x) === 'up');
    });
  }

  // ---- inspection ----------------------------------------------------------------------------

  /** The key's sibling set in the node's durable storage (undefined if it holds none), crashed or not. */
  replicaSet(id: NodeId, key: string): SiblingSet | undefined {
    const rec = this.backingOf(id).keys.get(key);
    return rec ? versions.fromJson(rec.value) : undefined;
  }

  /** Hint records in the node's durable storage (only those for owners `which` accepts, if given). */
  hintsHeld(id: NodeId, which?: (owner: NodeId) => boolean): number {
    let n = 0;
    for (const name of this.backingOf(id).meta.keys()) {
      if (name.startsWith('hint:') && (!which || which(name.slice(5, name.indexOf('\u0000'))))) n++;
    }
    return n;
  }

  /** Stops every live node gracefully (for tests' cleanup). */
  async stop(): Promise<void> {
    const nodes = [...this.live.values()].map((i) => i.node);
    this.live.clear();
    await this.drive(Promise.all(nodes.map((n) => n.stop())));
  }
}
