// A Dynamo node (paper §4): composes ring, versions, quorum, handoff and the peer protocol.
// Driven only by client calls, peer messages and Clock timers; everything else comes in as ports.
//
// Public API
//   DynamoCore.start(deps, config?): Promise<DynamoCore>
//   .put(key, value, context?, { w?, timeoutMs? })   -> { context, replicas }
//   .get(key, { r?, timeoutMs? })                    -> { values, context }
//   .delete(key, context, { w?, timeoutMs? })        -> { context, replicas }
//   .members()  .stats()  .on('members'|'change'|'repair', fn)  .stop()
//   .preferenceList(key)                             -> primaries then fallbacks (for UIs)
//   .leave(opts?)                                    -> hand every partition to its new owner, stop
//   .removeMember(id)                                -> reassign a dead member's partitions
//   .membership()                                    -> the history and ring, for UIs and tests
//   .seed(entries)                                   -> bulk-load keys never written (benchmarks, tests)
//
// Membership (§4.8): a node joins explicitly when it starts (unless config.autoJoin is off), its
// view is gossiped (gossip.ts), and the ring is derived from the view (membership.ts). An outage is
// not a departure: a down member keeps its partitions, served by fallbacks with hints, until it
// leaves, is removed, or has been down for config.autoRemoveAfterMs as seen by the member with the
// smallest id among those up (one remover, so concurrent removals do not pile up).
//
// Coordination. A put is coordinated by one of the key's first N replicas, because the new
// version's dot must be minted from that node's durable set; a node outside them forwards the put
// in one hop. A get needs no such thing, so the node that receives it asks the replicas itself
// (one round trip fewer). Both go to the first N *healthy* nodes of the clockwise walk; a fallback
// stores what it receives for a down primary as a hint and hands it over when that node is back.

import type { Clock } from '../ports/clock';
import { Listeners } from '../ports/emitter';
import { randomInt } from '../ports/random';
import type { Json, Storage } from '../ports/storage';
import type { NodeId, Transport, Unsubscribe } from '../ports/transport';
import { encodeContext, decodeContext, emptyContext, type Context } from './context';
import { ClosedError, QuorumError, StorageFullError, ValidationError } from './errors';
import { Actor } from './actor';
import { AntiEntropy } from './antientropy';
import { autoRemovals, Liveness } from './liveness';
import { Gossip, type GossipMessage } from './gossip';
import { HintStore } from './handoff';
import { partitionOf } from './hash';
import { Membership, type Change, type MembershipView } from './membership';
import { decode, encode, type ErrorName, type KeySet, type Message } from './messages';
import { MintLog } from './minted';
import { Collector, placements, required, type Placement } from './quorum';
import { ReplicaStore, setToJson, type Versioning } from './replica';
import { Reaper } from './reaper';
import { Requests } from './requests';
import { fallbackOrder, partitionsOf, type Ring } from './ring';
import { tracked } from './tracked-storage';
import { Transfers } from './transfer';
import { checkKey, checkQuorum, checkTimeout, checkValue } from './validate';
import * as versions from './versions';
import type { SiblingSet } from './versions';
import { LatencyLog } from './latency';
import {
  DEFAULT_CONFIG,
  type GetResult,
  type LeaveResult,
  type Member,
  type NodeConfig,
  type NodeDeps,
  type NodeEvent,
  type NodeStats,
  type PutResult,
  type RequestOptions,
} from './node-config';

export * from './node-config';

/** Characters per key-transfer shipment: well below MAX_MESSAGE_CHARS, so a chunk never fails to send. */
const TRANSFER_CHARS = 1 << 20;
const SEED_BATCH = 500;
type Write = { value: Json; tombstone?: false } | { tombstone: true; value?: undefined };
type RemoteError = { error: ErrorName; message: string; required?: number; answered?: number };

export class DynamoCore {
  readonly id: NodeId;
  readonly config: NodeConfig;
  private readonly transport: Transport;
  private readonly storage: Storage;
  private readonly clock: Clock;
  private readonly replica: ReplicaStore;
  private readonly hints: HintStore;
  private readonly requests: Requests;
  private readonly listeners: Record<NodeEvent, Listeners<[string?]>>;
  private readonly unsubscribe: Unsubscribe[] = [];
  private readonly latency = { put: new LatencyLog(), get: new LatencyLog() };
  private readonly delivering = new Set<NodeId>();
  /** Up / suspect / down per peer: heartbeats, link events, request timeouts (liveness.ts). */
  private readonly failures: Liveness;
  private readonly gossip: Gossip;
  private readonly transfers: Transfers;
  private readonly minted: MintLog;
  private readonly aae: AntiEntropy;
  private readonly reaper: Reaper;
  /** The ring the last transfer planning saw; a different one means partitions changed hands. */
  private ring: Ring | undefined;
  /** fallbackOrder per partition for the ring `walksFor`: every request walks the ring otherwise. */
  private walks: Array<NodeId[] | undefined> = [];
  private walksFor: Ring | undefined;
  /** Forwarded puts seen lately, by sender and request id: a duplicated message must not mint twice. */
  private readonly forwarded = new Set<string>();
  private cancelTick: () => void = () => {};
  private closed = false;
  private leaving = false;
  private counters = {
    requests: { put: 0, get: 0, delete: 0, forwarded: 0 },
    errors: { quorum: 0, validation: 0, storage: 0 },
    hints: { stored: 0, delivered: 0 },
    repairs: { read: 0 },
    messages: { received: 0, dropped: 0, dropReasons: {} as Record<string, number> },
    ringChanges: 0,
  };

  private constructor(
    deps: NodeDeps,
    config: NodeConfig,
    private readonly membershipStore: Membership,
    private readonly actor: Actor,
  ) {
    this.id = deps.id;
    this.config = config;
    const send = (to: NodeId, msg: Message) => this.reply(to, msg);
    this.failures = new Liveness({ clock: deps.clock, transport: deps.transport, options: config, send, onChange: () => this.listeners.members.emit() });
    // Sends go through it: a link busy with other messages needs no heartbeat.
    this.transport = this.failures.transport;
    // Every key write passes through here, so the Merkle trees follow it whatever path made it.
    this.storage = tracked(deps.storage, config.q, (key, p, value) => {
      this.aae.stored(key, p, value);
      if (value !== undefined) this.transfers.noteWrite(p);
    });
    this.clock = deps.clock;
    this.replica = new ReplicaStore(this.storage, config.q, config.versioning);
    this.hints = new HintStore(this.storage, config.versioning.merge);
    this.minted = new MintLog(this.storage, config.versioning.merge, () => actor.epoch);
    this.aae = new AntiEntropy({
      self: deps.id,
      n: config.n,
      q: config.q,
      clock: deps.clock,
      random: deps.random,
      storage: deps.storage,
      ring: () => this.view.ring,
      healthy: (id) => id !== this.id && this.healthy(id),
      send: (to, msg) => this.reply(to, msg),
      push: (to, sets) => this.ship(to, sets),
      onRepair: () => this.listeners.repair.emit(),
      gapMs: config.aaeGapMs,
      sweepPauseMs: config.aaeSweepPauseMs,
      exchangeTimeoutMs: config.timeoutMs * 10,
      onHashed: (key, p, digest, seq) => this.reaper.hashed(key, p, digest, seq),
      onExchanged: (peer, p, seq, differing) => this.reaper.exchanged(peer, p, seq, differing),
    });
    this.reaper = new Reaper({
      self: deps.id,
      n: config.n,
      clock: deps.clock,
      graceMs: config.tombstoneGraceMs,
      intervalMs: config.reapIntervalMs,
      ring: () => this.view.ring,
      storage: this.storage,
      replica: this.replica,
      hasHints: (key) => this.hints.forKey(key).length > 0,
      forget: () => this.forget(),
      notify: (to, items) => this.reply(to, { type: 'reaped', id: 0, items }),
    });
    // Request ids start at a random point so that a restarted node does not reuse its last life's ids
    // while peers still remember them (duplicate detection of forwarded puts keys on them).
    this.requests = new Requests(deps.clock, config.timeoutMs * 2, 1 + randomInt(deps.random, 2 ** 31), (peer) => this.failures.timedOut(peer));
    this.listeners = { members: new Listeners(), change: new Listeners(), repair: new Listeners() };
    this.gossip = new Gossip({
      clock: deps.clock,
      random: deps.random,
      intervalMs: config.gossipIntervalMs,
      view: () => this.view,
      peers: () => this.transport.peers(),
      send: (to, msg) => this.reply(to, msg),
      onNews: () => this.viewChanged(),
    });
    this.transfers = new Transfers({
      self: deps.id,
      n: config.n,
      w: config.w,
      batchKeys: config.handoffBatch,
      batchChars: TRANSFER_CHARS,
      storage: this.storage,
      replica: this.replica,
      minted: this.minted,
      actor: () => this.actor.name,
      forget: () => this.forget(),
      ring: () => this.view.ring,
      wasRemoved: (id) => this.view.stateOf(id) === 'removed',
      healthy: (id) => id !== this.id && this.healthy(id),
      ship: (to, sets) => this.ship(to, sets),
    });
  }

  static async start(deps: NodeDeps, config: Partial<NodeConfig> = {}): Promise<DynamoCore> {
    const full = { ...DEFAULT_CONFIG, ...config };
    checkQuorum('r', full.r, full.n);
    checkQuorum('w', full.w, full.n);
    const membership = await Membership.load(deps.storage, full.q);
    const node = new DynamoCore(deps, full, membership, await Actor.load(deps.storage, deps.id));
    await node.hints.load();
    await node.minted.load();
    if (full.autoJoin && !membership.view.isMember(deps.id)) {
      membership.view.propose('join', deps.id, deps.id);
      await membership.save();
    }
    node.ring = membership.view.ring;
    // Keys left here by an earlier life on partitions this node no longer replicates move on now.
    node.transfers.queueAll();
    node.attach();
    return node;
  }

  private get view(): MembershipView {
    return this.membershipStore.view;
  }

  // --- client API -----------------------------------------------------------------------------

  async put(key: string, value: Json, context?: string, opts: RequestOptions & { w?: number } = {}): Promise<PutResult> {
    return this.clientWrite('put', key, () => (checkValue(value), { value }), context, opts);
  }

  async delete(key: string, context: string, opts: RequestOptions & { w?: number } = {}): Promise<PutResult> {
    return this.clientWrite('delete', key, () => ({ tombstone: true }), context, opts);
  }

  async get(key: string, opts: RequestOptions & { r?: number } = {}): Promise<GetResult> {
    const started = this.clock.now();
    return this.track(async () => {
      this.ensureOpen();
      checkKey(key);
      const r = checkQuorum('r', opts.r ?? this.config.r, this.config.n);
      const timeoutMs = checkTimeout(opts.timeoutMs) ?? this.config.timeoutMs;
      this.counters.requests.get++;
      const merged = await this.coordinateGet(key, r, timeoutMs);
      this.latency.get.add(this.clock.now() - started);
      const { values, context } = versions.read(merged);
      return { values, context: encodeContext(context) };
    });
  }

  members(): Member[] {
    const ring = this.view.ring;
    return this.view.members().map((id) => ({
      id,
      status: id === this.id ? 'up' : this.failures.status(id),
      tokens: ring ? partitionsOf(ring, id) : [],
    }));
  }

  /** Tells peers whether this tab is hidden: they then allow it longer silences (liveness.ts). */
  setHidden(hidden: boolean): void {
    this.failures.setHidden(hidden);
  }

  /** Peers whose tab said it is hidden. */
  hiddenPeers(): NodeId[] {
    return this.failures.hiddenPeers();
  }

  /** The key's clockwise walk: the first N are its primaries, the rest fallbacks in order. */
  preferenceList(key: string): NodeId[] {
    return [...this.walk(key)];
  }

  /** The key's clockwise walk, cached per partition for the current ring (read-only: shared). */
  private walk(key: string): readonly NodeId[] {
    const ring = this.view.ring;
    if (!ring) return [];
    if (ring !== this.walksFor) {
      this.walksFor = ring;
      this.walks = new Array<NodeId[] | undefined>(ring.q);
    }
    const p = partitionOf(key, this.config.q);
    return (this.walks[p] ??= fallbackOrder(ring, p));
  }

  /** The ring partition holding `key` (for UIs: which arc of the ring a key lives on). */
  partitionOf(key: string): number {
    checkKey(key);
    return partitionOf(key, this.config.q);
  }

  /** The membership history and the ring derived from it (for UIs, tests and debugging). */
  membership(): { changes: readonly Change[]; ring: Ring | undefined; digest: string } {
    return { changes: this.view.changes(), ring: this.view.ring, digest: this.view.digest };
  }

  /**
   * Leaves the ring for good: the leave is gossiped, every partition this node holds moves to its
   * new owners (each key dropped here only once they acknowledged it), then the node stops. Keys
   * whose owners stay unreachable past the deadline remain in this node's storage, and the result
   * says so; the other replicas still hold them.
   */
  async leave(opts: { timeoutMs?: number } = {}): Promise<LeaveResult> {
    this.ensureOpen();
    const timeoutMs = checkTimeout(opts.timeoutMs) ?? 60_000;
    const deadline = this.clock.now() + timeoutMs;
    this.leaving = true;
    if (this.view.isMember(this.id)) await this.propose('leave', this.id);
    for (const owner of this.hints.owners()) await this.adoptHints(owner);
    this.transfers.queueAll();
    while (this.transfers.pending() > 0 && this.clock.now() < deadline && !this.closed) {
      await this.transfers.run();
      if (this.transfers.pending() > 0) await new Promise<void>((r) => this.clock.setTimer(Math.min(500, this.config.transferIntervalMs), r));
    }
    const { moved, partitionsPending } = this.transfers.stats();
    await this.stop();
    return { complete: partitionsPending === 0, moved, partitionsPending };
  }

  /**
   * Stores each entry this node is a primary of as one version with the fixed dot (seed, 1), so every
   * replica seeding the same entries holds the same set, equal Merkle trees and all, with no message
   * sent. For loading a large ring fast (benchmarks, tests): meant for keys never written, since two
   * different seeds of one key share a dot and only one survives. Resolves to how many it stored.
   */
  async seed(entries: ReadonlyArray<{ key: string; value: Json }>): Promise<number> {
    this.ensureOpen();
    for (const { key, value } of entries) {
      checkKey(key);
      checkValue(value);
    }
    const mine = entries.filter(({ key }) => this.walk(key).slice(0, this.config.n).includes(this.id));
    for (let i = 0; i < mine.length; i += SEED_BATCH) {
      // A batch at a time: concurrent writes share IndexedDB transactions (group commit).
      await Promise.all(mine.slice(i, i + SEED_BATCH).map(({ key, value }) => this.replica.merge(key, seedSet(value, this.config.versioning))));
    }
    return mine.length;
  }

  /** Removes a member that is gone for good: its partitions are reassigned and rebuilt from replicas. */
  async removeMember(id: NodeId): Promise<void> {
    this.ensureOpen();
    if (id === this.id) throw new ValidationError('a node cannot remove itself: use leave()');
    if (!this.view.isMember(id)) throw new ValidationError(`"${String(id)}" is not a member of this ring`);
    await this.propose('remove', id);
  }

  stats(): NodeStats {
    const c = this.counters;
    return {
      requests: { ...c.requests },
      errors: { ...c.errors },
      latencyMs: { put: this.latency.put.summary(), get: this.latency.get.summary() },
      hints: { pending: this.hints.count(), stored: c.hints.stored, delivered: c.hints.delivered },
      repairs: { ...c.repairs },
      messages: { ...c.messages, dropReasons: { ...c.messages.dropReasons } },
      membership: {
        members: this.view.members().length,
        changes: this.view.changes().length,
        gossipRounds: this.gossip.rounds,
        ringChanges: c.ringChanges,
      },
      transfer: this.transfers.stats(),
      antiEntropy: this.aae.stats(),
      reaping: { ...this.reaper.stats(), epoch: this.actor.epoch },
    };
  }

  on(event: NodeEvent, fn: (key?: string) => void): Unsubscribe {
    const list = this.listeners[event];
    if (!list) throw new ValidationError(`unknown event "${String(event)}"`);
    return list.add(fn);
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTick();
    this.failures.stop();
    this.gossip.stop();
    this.aae.stop();
    for (const u of this.unsubscribe) u();
    this.requests.closeAll();
    await this.transport.close();
    await this.storage.close();
  }

  // --- wiring ---------------------------------------------------------------------------------

  private attach(): void {
    const t = this.transport;
    this.unsubscribe.push(
      t.onMessage((from, raw) => this.onMessage(from, raw)),
      t.onPeerUp((p) => this.peerUp(p)),
      t.onPeerDown((p) => {
        this.failures.linkDown(p);
        this.requests.peerDown(p);
        this.listeners.members.emit();
      }),
    );
    for (const p of t.peers()) this.peerUp(p);
    this.failures.start();
    this.gossip.start();
    if (this.config.antiEntropy) this.aae.start();
    this.scheduleTick();
    void this.transfers.run();
  }

  private peerUp(peer: NodeId): void {
    this.failures.linkUp(peer);
    // A new link is the fastest way for a joining node to learn the ring, and for the ring to learn it.
    this.gossip.push(peer);
    this.listeners.members.emit();
    this.deliverHints(peer);
  }

  private healthy = (id: NodeId): boolean => id === this.id || this.failures.healthy(id);

  /** Records a change of our own, persists it and tells every live peer at once. */
  private async propose(kind: Change['kind'], node: NodeId): Promise<void> {
    this.view.propose(kind, node, this.id);
    await this.membershipStore.save();
    for (const p of this.transport.peers()) this.gossip.push(p);
    this.viewChanged(false);
  }

  /** The view gained changes: persist them, and move data if the ring changed. */
  private viewChanged(save = true): void {
    if (save) void this.membershipStore.save().catch(() => undefined);
    if (this.view.stateOf(this.id) === 'removed' && this.config.autoJoin && !this.leaving && !this.closed) {
      // Removed while alive (cut off past autoRemoveAfterMs, say): an open tab is a node, so it
      // joins again with a new join, ordered after the removal. Stale gossip alone never does this.
      void this.propose('join', this.id).catch(() => undefined);
      return;
    }
    const next = this.view.ring;
    const prev = this.ring;
    if (next && !sameRing(prev, next)) {
      this.ring = next;
      this.counters.ringChanges++;
      this.transfers.ringChanged(prev, next);
      void this.transfers.run();
    }
    this.listeners.members.emit();
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError('node stopped');
  }

  /** Runs a client request, counting its failures by type. */
  private async track<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof QuorumError) this.counters.errors.quorum++;
      else if (err instanceof ValidationError) this.counters.errors.validation++;
      else if (err instanceof StorageFullError) this.counters.errors.storage++;
      throw err;
    }
  }

  // --- writes ---------------------------------------------------------------------------------

  private clientWrite(
    kind: 'put' | 'delete',
    key: string,
    makeWrite: () => Write,
    context: string | undefined,
    opts: RequestOptions & { w?: number },
  ): Promise<PutResult> {
    const started = this.clock.now();
    return this.track(async () => {
      this.ensureOpen();
      checkKey(key);
      if (kind === 'delete' && typeof context !== 'string') {
        throw new ValidationError('delete needs the context of a read: a tombstone removes only what it saw');
      }
      const write = makeWrite();
      const ctx = decodeContext(context);
      const w = checkQuorum('w', opts.w ?? this.config.w, this.config.n);
      const timeoutMs = checkTimeout(opts.timeoutMs) ?? this.config.timeoutMs;
      this.counters.requests[kind]++;
      const result = await this.routeWrite(key, write, ctx, w, timeoutMs);
      this.latency.put.add(this.clock.now() - started);
      return result;
    });
  }

  /** Coordinate here if this node is a primary (or no primary is reachable); else forward. */
  private routeWrite(key: string, write: Write, ctx: Context, w: number, timeoutMs: number): Promise<PutResult> {
    const primaries = this.walk(key).slice(0, this.config.n);
    const target = primaries.includes(this.id) ? this.id : primaries.find(this.healthy);
    if (target === undefined || target === this.id) return this.coordinatePut(key, write, ctx, w, timeoutMs);
    this.counters.requests.forwarded++;
    // This node holds no copy, so no store event tells its page of the write: say it here.
    return this.forwardPut(target, key, write, ctx, w, timeoutMs).then((r) => (this.listeners.change.emit(key), r));
  }

  private forwardPut(to: NodeId, key: string, write: Write, ctx: Context, w: number, timeoutMs: number): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      const giveUp = this.clock.setTimer(timeoutMs * 1.5, () => fail());
      const fail = () => {
        giveUp();
        reject(new QuorumError(`put: coordinator ${to} did not answer`, w, 0));
      };
      const msg = { type: 'fwd-put' as const, key, context: encodeContext(ctx), w, ...write };
      this.requests.send(this.transport, to, msg, (reply) => {
        giveUp();
        if (reply.type !== 'fwd-put-reply') return fail();
        if (reply.ok) resolve({ context: reply.context, replicas: reply.replicas });
        else reject(remoteError(reply));
      }, fail);
    });
  }

  private async coordinatePut(key: string, write: Write, ctx: Context, w: number, timeoutMs: number): Promise<PutResult> {
    const walk = this.walk(key);
    const need = required(w, walk.length);
    const plan = withSelf(this.plan(walk, need), this.id);
    if (plan.length < need) {
      throw new QuorumError(`put: 0 of ${need} required replicas answered (only ${plan.length} replicas reachable)`, need, 0);
    }
    const mine = plan.find((p) => p.node === this.id) as Placement;
    const made = await this.mintLocally(key, write, ctx, mine);
    const collector = new Collector<true>(need, plan.length, this.clock, timeoutMs, 'put');
    collector.ok(this.id, true);
    // One message object for every replica without a hint: Requests serializes it once.
    const msg = { type: 'put' as const, key, set: setToJson(made.set) };
    for (const p of plan) {
      if (p.node === this.id) continue;
      this.requests.send(
        this.transport,
        p.node,
        p.hintFor ? { ...msg, hintFor: p.hintFor } : msg,
        (reply) => (reply.type === 'put-ack' && reply.ok ? collector.ok(p.node, true) : collector.failed()),
        () => collector.failed(),
      );
    }
    const answers = await collector.done;
    return { context: encodeContext(made.context), replicas: answers.length };
  }

  /** Makes the new version from this node's durable state; stored before any replica hears of it. */
  private async mintLocally(key: string, write: Write, ctx: Context, mine: Placement) {
    const put = (current: SiblingSet) =>
      this.config.versioning.put(current, { coordinator: this.actor.name, context: ctx, now: this.clock.now(), ...write });
    let made: ReturnType<typeof put> | undefined;
    if (mine.hintFor) {
      // No primary reachable: this node holds the write for one.
      const hintFor = mine.hintFor;
      made = await this.replica.exclusive(key, () => this.mintAsFallback(key, hintFor, put));
      this.counters.hints.stored++;
    } else {
      const before = this.minted.has(key) ? await this.minted.get(key) : undefined;
      const extra = before ? [...this.hints.forKey(key), before] : this.hints.forKey(key);
      await this.replica.update(key, (current) => (made = put(mergeInto(current, extra, this.config.versioning))).set);
    }
    this.listeners.change.emit(key);
    return made as NonNullable<typeof made>;
  }

  /**
   * A fallback mints from everything it holds for the key, and also from what it minted for the key
   * before. Why the latter: its hints are deleted once handed off, and a node that forgot its own
   * dots would issue one again; a replica that had seen the first (say, superseded by a later write)
   * would then drop the second as superseded too, losing an acknowledged write (Riak's KV679). So
   * the minted set is kept durably under `minted:<key>`, and the caller runs this under the key's lock.
   */
  private async mintAsFallback<M extends { set: SiblingSet }>(key: string, hintFor: NodeId, put: (s: SiblingSet) => M): Promise<M> {
    const before = (await this.minted.get(key)) ?? versions.empty();
    const made = put(this.config.versioning.merge(await this.localView(key), before));
    await this.minted.record(key, made.set);
    await this.hints.add(hintFor, key, made.set);
    return made;
  }

  /**
   * The first N healthy nodes of the walk (§4.6). If that is fewer than the request needs, suspects
   * are tried too: a peer that timed out twice under load may well answer now, and failing the
   * request at once would be worse than asking it.
   */
  private plan(walk: readonly NodeId[], need: number): Placement[] {
    const healthy = placements(walk, this.config.n, this.healthy);
    if (healthy.length >= need) return healthy;
    return placements(walk, this.config.n, (id) => id === this.id || this.failures.status(id) !== 'down');
  }

  // --- reads ----------------------------------------------------------------------------------

  private async coordinateGet(key: string, r: number, timeoutMs: number): Promise<SiblingSet> {
    const walk = this.walk(key);
    const plan = this.plan(walk, required(r, walk.length));
    const collector = new Collector<SiblingSet | undefined>(required(r, walk.length), plan.length, this.clock, timeoutMs, 'get');
    for (const p of plan) {
      if (p.node === this.id) {
        this.localView(key).then((s) => collector.ok(this.id, s), () => collector.failed());
        continue;
      }
      this.requests.send(
        this.transport,
        p.node,
        { type: 'get', key },
        (reply) => {
          const set = reply.type === 'get-reply' ? parseSet(reply.set) : null;
          if (set === null) collector.failed();
          else collector.ok(p.node, set);
        },
        () => collector.failed(),
      );
    }
    const answers = await collector.done;
    const merged = mergeInto(versions.empty(), answers.map((a) => a.value).filter(isSet), this.config.versioning);
    this.readRepair(key, merged, answers, plan);
    return merged;
  }

  /** Replicas that answered with less than the merged set get it (paper §4.6 read repair). */
  private readRepair(key: string, merged: SiblingSet, answers: Array<{ from: NodeId; value: SiblingSet | undefined }>, plan: Placement[]): void {
    if (versions.isEmpty(merged)) return;
    const msg = { type: 'put' as const, key, set: setToJson(merged) };
    for (const { from, value } of answers) {
      if (value && versions.equals(value, merged)) continue;
      this.counters.repairs.read++;
      this.listeners.repair.emit(key);
      const hintFor = plan.find((p) => p.node === from)?.hintFor;
      if (from === this.id) void this.storeIncoming(key, merged, hintFor).catch(() => undefined);
      else this.requests.send(this.transport, from, hintFor ? { ...msg, hintFor } : msg, () => {}, () => {});
    }
  }

  /** localView as the wire wants it; without hints to merge, the stored JSON goes out untouched. */
  private async localViewJson(key: string): Promise<Json | null> {
    if (this.hints.forKey(key).length > 0) return setToJson(await this.localView(key));
    return (await this.storage.get(key))?.value ?? null;
  }

  /** What this node holds for a key: its own replica merged with any hints it keeps for others. */
  private async localView(key: string): Promise<SiblingSet> {
    const own = (await this.replica.read(key)) ?? versions.empty();
    return mergeInto(own, this.hints.forKey(key), this.config.versioning);
  }

  // --- incoming -------------------------------------------------------------------------------

  private onMessage(from: NodeId, raw: string): void {
    if (this.closed) return;
    const decoded = decode(raw);
    if (!decoded.ok) return this.drop(decoded.reason);
    this.counters.messages.received++;
    this.failures.heard(from);
    this.handle(from, decoded.msg).catch((err: unknown) => this.drop(`handler-${(err as Error).name ?? 'error'}`));
  }

  private drop(reason: string): void {
    const m = this.counters.messages;
    m.dropped++;
    m.dropReasons[reason] = (m.dropReasons[reason] ?? 0) + 1;
  }

  private async handle(from: NodeId, msg: Message): Promise<void> {
    switch (msg.type) {
      case 'put':
        return this.onPut(from, msg.id, msg.key, msg.set, msg.hintFor);
      case 'get':
        return this.reply(from, { type: 'get-reply', id: msg.id, set: await this.localViewJson(msg.key) });
      case 'fwd-put':
        return this.onForwardedPut(from, msg);
      case 'handoff':
        if (msg.digest !== undefined && msg.digest !== this.view.digest) this.gossip.push(from);
        return this.onHandoff(from, msg.id, msg.sets);
      case 'gossip':
      case 'gossip-state':
        return this.gossip.handle(from, msg);
      case 'aae':
        return this.aae.handle(from, msg);
      case 'reaped':
        return this.reaper.noticed(msg.items);
      case 'ping':
      case 'pong':
        return this.failures.handle(from, msg);
      default:
        if (!this.requests.reply(from, msg)) this.drop('unmatched-reply');
    }
  }

  private async onPut(from: NodeId, id: number, key: string, raw: Json, hintFor: NodeId | undefined): Promise<void> {
    try {
      await this.storeIncoming(key, versions.fromJson(raw), hintFor, from);
      this.reply(from, { type: 'put-ack', id, ok: true });
    } catch (err) {
      this.reply(from, { type: 'put-ack', id, ok: false, error: (err as Error).name });
    }
  }

  private async storeIncoming(key: string, set: SiblingSet, hintFor: NodeId | undefined, from?: NodeId): Promise<void> {
    if (hintFor && hintFor !== this.id) {
      await this.hints.add(hintFor, key, set);
      this.counters.hints.stored++;
      return;
    }
    const reaped = this.reaper.wasReaped(key, set);
    if (reaped) {
      // A replica that has not reaped it yet pushes it back: remind it instead of keeping it again.
      if (from !== undefined && from !== this.id) this.reply(from, { type: 'reaped', id: 0, items: [reaped] });
      return;
    }
    const { changed } = await this.replica.merge(key, set);
    if (changed) this.listeners.change.emit(key);
  }

  private async onForwardedPut(from: NodeId, msg: Extract<Message, { type: 'fwd-put' }>): Promise<void> {
    // The transport may deliver a message twice; coordinating the copy would mint a second dot for
    // one client write, a sibling no concurrency explains. Replicated sets need no such guard: merge
    // is idempotent. The entry outlives the forwarder's own deadline (1.5 x timeout).
    const tag = `${from}\u0000${msg.id}`;
    if (this.forwarded.has(tag)) return this.drop('duplicate-fwd-put');
    this.forwarded.add(tag);
    this.clock.setTimer(this.config.timeoutMs * 2, () => this.forwarded.delete(tag));
    const write: Write = msg.tombstone ? { tombstone: true } : { value: msg.value as Json };
    try {
      const res = await this.coordinatePut(msg.key, write, decodeContext(msg.context), msg.w, this.config.timeoutMs);
      this.reply(from, { type: 'fwd-put-reply', id: msg.id, ok: true, ...res });
    } catch (err) {
      const e = err as Error & Partial<QuorumError>;
      const name = (['QuorumError', 'ValidationError', 'StorageFullError', 'ClosedError'] as const).find((n) => n === e.name) ?? 'Error';
      this.reply(from, { type: 'fwd-put-reply', id: msg.id, ok: false, error: name, message: e.message, required: e.required, answered: e.answered });
    }
  }

  private async onHandoff(from: NodeId, id: number, sets: Array<{ key: string; set: Json }>): Promise<void> {
    // All at once: keys are independent (each has its own lock), and concurrent writes share
    // IndexedDB transactions (group commit), where one at a time would pay a commit per key.
    await Promise.all(sets.map(({ key, set }) => this.storeIncoming(key, versions.fromJson(set), undefined, from)));
    this.reply(from, { type: 'handoff-ack', id });
  }

  private reply(to: NodeId, msg: Message | GossipMessage): void {
    this.transport.send(to, encode(msg));
  }

  // --- background work ------------------------------------------------------------------------

  private scheduleTick(): void {
    const every = Math.min(this.config.handoffIntervalMs, this.config.transferIntervalMs);
    this.cancelTick = this.clock.setTimer(every, () => {
      if (this.closed) return;
      this.tick();
      this.scheduleTick();
    });
  }

  private tick(): void {
    for (const owner of this.hints.owners()) {
      if (!this.view.isMember(owner)) void this.adoptHints(owner).catch(() => undefined);
      else if (this.healthy(owner)) this.deliverHints(owner);
    }
    if (this.transfers.pending() > 0) void this.transfers.run();
    if (this.config.antiEntropy && this.config.tombstoneGraceMs > 0 && this.reaper.due()) void this.reaper.round().catch(() => undefined);
    this.autoRemove();
  }

  /** Removes members down longer than autoRemoveAfterMs (liveness.ts says who may, and whom). */
  private autoRemove(): void {
    if (this.leaving) return;
    for (const m of autoRemovals(this.id, this.view.members(), this.failures, this.config.autoRemoveAfterMs)) {
      void this.propose('remove', m).catch(() => undefined);
    }
  }

  /** Ships sets to a peer as a handoff; resolves true once it acknowledged storing them all. */
  private ship(to: NodeId, sets: KeySet[]): Promise<boolean> {
    return new Promise((resolve) => {
      this.requests.send(
        this.transport,
        to,
        { type: 'handoff', sets, digest: this.view.digest },
        (reply) => resolve(reply.type === 'handoff-ack'),
        () => resolve(false),
      );
    });
  }

  /** Hints for a node that left or was removed will never be delivered: they become ours to move. */
  private async adoptHints(owner: NodeId): Promise<void> {
    const batch = this.hints.batch(owner, Infinity);
    for (const h of batch) await this.replica.merge(h.key, h.held);
    await this.hints.delivered(owner, batch);
    if (batch.length > 0) {
      this.transfers.queueAll();
      void this.transfers.run();
    }
  }

  /** A new actor epoch before letting go of keys this node minted for (actor.ts, reaper.ts, transfer.ts). */
  private async forget(): Promise<void> {
    await this.actor.advance();
    await this.minted.dropOld();
  }

  // --- hinted handoff -------------------------------------------------------------------------

  /** Offers one batch of hints to `owner`; the next batch follows its acknowledgement. */
  private deliverHints(owner: NodeId): void {
    if (this.closed || owner === this.id || this.delivering.has(owner)) return;
    const batch = this.hints.batch(owner, this.config.handoffBatch);
    if (batch.length === 0) return;
    this.delivering.add(owner);
    const sets = batch.map(({ key, set }) => ({ key, set }));
    const done = () => this.delivering.delete(owner);
    this.requests.send(
      this.transport,
      owner,
      { type: 'handoff', sets },
      () => {
        void this.hints.delivered(owner, batch).then((n) => {
          this.counters.hints.delivered += n;
          done();
          if (n > 0) this.deliverHints(owner);
        }, done);
      },
      done,
    );
  }
}

/**
 * The coordinator always keeps a copy, since it minted the version from its own state. It is
 * missing from the plan only when no primary was reachable and other fallbacks came first; it
 * then takes the last fallback's place, and that fallback's hint.
 */
function withSelf(plan: Placement[], self: NodeId): Placement[] {
  if (plan.some((p) => p.node === self)) return plan;
  const last = plan.at(-1);
  return [...plan.slice(0, -1), { node: self, hintFor: last?.hintFor }];
}

function seedSet(value: Json, v: Versioning): SiblingSet {
  return v.put(versions.empty(), { coordinator: 'seed', context: emptyContext(), now: 0, value }).set;
}

function mergeInto(base: SiblingSet, others: SiblingSet[], v: Versioning): SiblingSet {
  return others.reduce((acc, s) => v.merge(acc, s), base);
}

function parseSet(raw: Json | null): SiblingSet | null {
  try {
    return raw === null ? versions.empty() : versions.fromJson(raw);
  } catch {
    return null;
  }
}

function sameRing(a: Ring | undefined, b: Ring): boolean {
  return a !== undefined && a.q === b.q && a.owners.every((o, i) => o === b.owners[i]);
}

function isSet(x: SiblingSet | undefined): x is SiblingSet {
  return x !== undefined;
}

function remoteError(e: RemoteError): Error {
  switch (e.error) {
    case 'QuorumError':
      return new QuorumError(e.message, e.required ?? 0, e.answered ?? 0);
    case 'ValidationError':
      return new ValidationError(e.message);
    case 'StorageFullError':
      return new StorageFullError(e.message);
    case 'ClosedError':
      return new ClosedError(e.message);
    default:
      return new Error(e.message);
  }
}
