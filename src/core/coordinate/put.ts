// Coordinating a put or delete (paper §4.5 quorum writes, §4.6 sloppy quorum; riak_kv_put_fsm):
// route the write to a coordinator among the key's primaries, mint its version there, and collect
// W acknowledgements from the first N healthy nodes before the request's deadline.
//
// Public API
//   new PutCoordinator(deps)
//   .put(key, write, context, w, timeoutMs): Promise<PutResult>   coordinate here or forward;
//                                                                   w is a count or 'any'
//   .onForwarded(from, msg): Promise<FwdReply | undefined>          coordinate a peer's forward;
//                                                                   undefined for a duplicate
//   forwardBudget(timeoutMs): number                                the coordinator's share of a
//                                                                   forwarded request's deadline
//
// Why a put is coordinated by a primary: the new version's dot is minted from the coordinator's
// durable set (mint.ts), so a node outside the first N forwards it in one hop. When no primary is
// reachable this node coordinates itself as a fallback holding a hint.
//
// Deadlines. A request owns its deadline from the client's timeoutMs: requests to replicas live as
// long as it, a forward carries it, and the coordinator of a forward gets `forwardBudget` of it so
// its answer (success or QuorumError) reaches the forwarder in time. A forward is deduplicated by
// (sender, request id) for twice its own deadline: the transport may deliver a message twice, and
// coordinating the copy would mint a second dot for one client write. A copy arriving later than that
// is coordinated again (a second sibling of the same value, never a lost write).
//
// w 'any' (Cassandra's ANY; the cart's "never rejected"): the write still goes to the first N
// healthy nodes and waits for the node's usual W until the deadline, but it is acknowledged as soon
// as it is clear that fewer will answer, once one node holds it durably; the result says how many did
// and `degraded: true`. The one node may be this one: it mints under its own actor like any
// coordinator (its dots can never collide with another node's), records what it minted (a fallback
// that later hands its hints off never reissues a dot), and keeps hints for every primary it could
// not reach, durably, so a tab closed and opened again delivers them. A forward that gets no answer
// is not then coordinated here: if it did land, the one write would be two siblings. It fails as
// usual; once liveness calls that coordinator down, the retry is coordinated here at once.

import type { Clock } from '../../ports/clock';
import type { NodeId } from '../../ports/transport';
import { decodeContext, encodeContext, type Context } from '../context';
import { ClosedError, QuorumError, StorageFullError, ValidationError } from '../errors';
import type { Message } from '../protocol/messages';
import type { ErrorName } from '../protocol/requests';
import type { Phases } from '../phases';
import type { Placement, Target } from '../placement';
import { setToJson } from '../replica';
import type { Requests } from '../requests';
import { checkQuorum, checkValue } from '../validate';
import type { SiblingSet } from '../versions';
import { Collector, required } from './collect';
import type { Minter, Where, Write } from './mint';

export interface PutResult {
  context: string;
  /** Replicas that had stored the write when it was acknowledged. */
  replicas: number;
  /** True when fewer than W held it (only with w 'any'): it reaches the rest through hints. */
  degraded?: boolean;
}

/** A write quorum: how many replicas must acknowledge, or 'any' (one durable copy anywhere). */
export type W = number | 'any';

type FwdPut = Extract<Message, { type: 'fwd-put' }>;
type FwdReply = Extract<Message, { type: 'fwd-put-reply' }> extends infer M ? (M extends unknown ? Omit<M, 'id'> : never) : never;
type RemoteError = { error: ErrorName; message: string; required?: number; answered?: number };

export interface PutDeps {
  self: NodeId;
  clock: Clock;
  n: number;
  /** The node's W, which a w 'any' write still waits for while it can. */
  w: number;
  placement: Pick<Placement, 'coordinators' | 'writeTargets' | 'walk'>;
  requests: Pick<Requests, 'send'>;
  minter: Pick<Minter, 'mint'>;
  /** Keeps `set` here as a hint for `owner`, durably (handoff.ts). */
  hint(owner: NodeId, key: string, set: SiblingSet): Promise<void>;
  /** A version was minted and stored here (the node's 'change' event), with `hints` hints kept for it. */
  minted(key: string, hints: number): void;
  /** The write went to another coordinator (this node holds no copy, so no store event says it). */
  forwarded(key: string): void;
  /** A forward whose request carried no deadline (an older peer) gets this one. */
  defaultTimeoutMs: number;
  phases: Pick<Phases, 'start' | 'since'>;
}

export function forwardBudget(timeoutMs: number): number {
  return Math.max(1, Math.floor(timeoutMs * 0.8));
}

export class PutCoordinator {
  /** Forwarded puts seen lately, by sender and request id. */
  private readonly seen = new Set<string>();

  constructor(private readonly deps: PutDeps) {}

  /**
   * Coordinates here if this node is a primary (or no primary is reachable), else forwards. A
   * coordinator whose disk is full refuses before minting anything, so the next primary is tried.
   */
  async put(key: string, write: Write, ctx: Context, w: W, timeoutMs: number): Promise<PutResult> {
    const d = this.deps;
    const deadline = d.clock.now() + timeoutMs;
    const candidates = d.placement.coordinators(key);
    for (let i = 0; i < candidates.length; i++) {
      const target = candidates[i] as NodeId;
      try {
        if (target === d.self) return await this.coordinate(key, write, ctx, w, this.left(deadline));
        const sent = d.phases.start();
        const result = await this.forward(target, key, write, ctx, w, this.left(deadline));
        d.phases.since('put.forward', sent);
        d.forwarded(key);
        return result;
      } catch (err) {
        if (!(err instanceof StorageFullError) || i + 1 >= candidates.length) throw err;
      }
    }
    return this.coordinate(key, write, ctx, w, this.left(deadline));
  }

  /** What is left of a deadline, at least 1 ms. */
  private left(deadline: number): number {
    return Math.max(1, deadline - this.deps.clock.now());
  }

  async onForwarded(from: NodeId, msg: FwdPut): Promise<FwdReply | undefined> {
    const tag = `${from}\u0000${msg.id}`;
    if (this.seen.has(tag)) return undefined;
    const timeoutMs = msg.timeoutMs ?? this.deps.defaultTimeoutMs;
    this.seen.add(tag);
    this.deps.clock.setTimer(timeoutMs * 2, () => this.seen.delete(tag));
    try {
      // Checked here as at the API: a peer's forward is input like any other.
      const write: Write = msg.tombstone ? { tombstone: true } : { value: checkValue(msg.value) };
      const w = msg.w === 'any' ? 'any' : checkQuorum('w', msg.w, this.deps.n);
      const res = await this.coordinate(msg.key, write, decodeContext(msg.context, msg.key), w, forwardBudget(timeoutMs));
      return { type: 'fwd-put-reply', ok: true, ...res };
    } catch (err) {
      const e = err as Error & Partial<QuorumError>;
      const name = (['QuorumError', 'ValidationError', 'StorageFullError', 'ClosedError'] as const).find((n) => n === e.name) ?? 'Error';
      const message = String(e.message).slice(0, 1000);
      return { type: 'fwd-put-reply', ok: false, error: name, message, required: e.required, answered: e.answered };
    }
  }

  private forward(to: NodeId, key: string, write: Write, ctx: Context, w: W, timeoutMs: number): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      const msg = { type: 'fwd-put' as const, key, context: encodeContext(ctx, key), w, timeoutMs, ...write };
      const fail = () => reject(new QuorumError(`put: coordinator ${to} did not answer within ${timeoutMs} ms`, w === 'any' ? 1 : w, 0));
      this.deps.requests.send(
        to,
        msg,
        (reply) => {
          if (reply.type !== 'fwd-put-reply') return fail();
          if (reply.ok) resolve({ context: reply.context, replicas: reply.replicas, ...(reply.degraded ? { degraded: true } : {}) });
          else reject(remoteError(reply));
        },
        fail,
        timeoutMs,
      );
    });
  }

  private async coordinate(key: string, write: Write, ctx: Context, w: W, timeoutMs: number): Promise<PutResult> {
    const d = this.deps;
    const walk = d.placement.walk(key);
    const need = required(w === 'any' ? d.w : w, walk.length);
    const plan = d.placement.writeTargets(key, need);
    if (w !== 'any' && plan.length < need) {
      throw new QuorumError(`put: 0 of ${need} required replicas answered (only ${plan.length} replicas reachable)`, need, 0);
    }
    const where = this.where(walk, plan, w);
    const minting = d.phases.start();
    const made = await d.minter.mint(key, write, ctx, where);
    const sent = d.phases.start();
    d.phases.since('put.mint', minting);
    d.minted(key, where.hintsFor.length);
    const collector = new Collector<true>(need, plan.length, d.clock, timeoutMs, 'put');
    collector.ok(d.self, true);
    // One message object for every replica without a hint: Requests serializes it once.
    const msg = { type: 'put' as const, key, set: setToJson(made.set) };
    for (const p of plan) {
      if (p.node === d.self) continue;
      d.requests.send(
        p.node,
        p.hintFor ? { ...msg, hintFor: p.hintFor } : msg,
        (reply) => this.acked(collector, p.node, sent, reply.type === 'put-ack' && reply.ok),
        () => collector.failed(),
        timeoutMs,
      );
    }
    const context = encodeContext(made.context, key);
    try {
      const replicas = (await collector.done).length;
      d.phases.since('put.quorum', sent);
      return { context, replicas };
    } catch (err) {
      if (w !== 'any' || !(err instanceof QuorumError)) throw err;
      // Degraded: this node may be the only copy. It holds hints for every primary that neither
      // acknowledged nor has a fallback that did, so each gets the write when it is back.
      const covered = new Set(collector.answers.flatMap((a) => [a.from, ...plan.filter((p) => p.node === a.from && p.hintFor).map((p) => p.hintFor as NodeId)]));
      for (const p of walk.slice(0, d.n)) if (!covered.has(p) && !where.hintsFor.includes(p)) await d.hint(p, key, made.set);
      return { context, replicas: Math.max(1, err.answered), degraded: true };
    }
  }

  private acked(collector: Collector<true>, from: NodeId, sent: number, ok: boolean): void {
    if (!ok) return collector.failed();
    this.deps.phases.since('put.replica-rtt', sent);
    collector.ok(from, true);
  }

  /**
   * Where this node keeps what it mints: in its replica as a primary (or when it stands in with no
   * hint to hold), else as a fallback's hint. With w 'any' it also holds hints for every primary
   * outside the plan, or for all of them when it is no primary itself: it may be the only copy.
   */
  private where(walk: readonly NodeId[], plan: readonly Target[], w: W): Where {
    const self = this.deps.self;
    const primaries = walk.slice(0, this.deps.n);
    const hintFor = plan.find((p) => p.node === self)?.hintFor;
    if (w !== 'any') return { replica: hintFor === undefined, hintsFor: hintFor ? [hintFor] : [] };
    if (!primaries.includes(self)) return { replica: false, hintsFor: primaries };
    return { replica: true, hintsFor: primaries.filter((p) => p !== self && !plan.some((t) => t.node === p)) };
  }
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
