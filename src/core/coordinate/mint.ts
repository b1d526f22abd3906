// Minting a write's new version (paper §4.4, with dotted version vectors): the coordinator makes it
// from its own durable state and stores it before any replica hears of it.
//
// Public API
//   type Write = { value } | { tombstone: true }
//   new Minter(deps)
//   .mint(key, write, context, where): Promise<{ set, context }>
//        where.replica: store it in this node's replica (a primary coordinating); otherwise this node
//        is a fallback and keeps it only as hints. where.hintsFor: the primaries to hold hints for
//        (a fallback's one, or with w 'any' every primary that could not be reached)
//
// Why from durable state, and why the minted log: a dot is (actor, counter) with the counter read
// from the set this node holds. A node that let go of the key (a fallback whose hint was handed off,
// a former owner after transfer) would count from zero again and reissue a dot that some replica
// has seen and superseded, which would then drop the new write as old (Riak's KV679). So it mints
// from what it minted before as well (minted.ts), and records what it mints as a fallback.

import type { Clock } from '../../ports/clock';
import type { Json } from '../../ports/storage';
import type { NodeId } from '../../ports/transport';
import type { Context } from '../context';
import type { HintStore } from '../handoff';
import { mergeAll, type Local } from '../local';
import type { MintLog } from '../minted';
import type { ReplicaStore, Versioning } from '../replica';
import { ValidationError } from '../errors';
import * as vclock from '../vclock';
import * as versions from '../versions';
import { NeedsNewActor } from '../versions';
import type { SiblingSet } from '../versions';

/** Epoch moves one mint may make before its context is refused (each costs a durable write). */
const MAX_EPOCH_MOVES = 3;

export type Write = { value: Json; tombstone?: false } | { tombstone: true; value?: undefined };
export type Minted = { set: SiblingSet; context: Context };
export interface Where {
  replica: boolean;
  hintsFor: readonly NodeId[];
}

export interface MintDeps {
  clock: Clock;
  replica: ReplicaStore;
  hints: HintStore;
  minted: MintLog;
  local: Pick<Local, 'view'>;
  versioning: Versioning;
  /** The actor this node mints under now (actor.ts). */
  actor(): string;
  /** Move to a new actor epoch, durably (a counter ran out: a forged or runaway context). */
  newEpoch(): Promise<void>;
}

export class Minter {
  constructor(private readonly deps: MintDeps) {}

  async mint(key: string, write: Write, ctx: Context, where: Where): Promise<Minted> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.mintOnce(key, write, ctx, where);
      } catch (err) {
        if (!(err instanceof NeedsNewActor)) throw err;
        if (attempt >= MAX_EPOCH_MOVES) throw new ValidationError(`context: ${err.message}`);
        // A new actor: no context this node handed out names it, and all its counters are free.
        await this.deps.newEpoch();
      }
    }
  }

  private async mintOnce(key: string, write: Write, ctx: Context, where: Where): Promise<Minted> {
    const d = this.deps;
    const actor = d.actor();
    if (!where.replica) return d.replica.exclusive(key, () => this.asFallback(key, where.hintsFor, write, ctx, actor));
    let made: Minted | undefined;
    const before = d.minted.has(key) ? await d.minted.get(key) : undefined;
    const extra = before ? [...d.hints.forKey(key), before] : d.hints.forKey(key);
    await d.replica.update(key, (current) => (made = this.put(mergeAll(current, extra, d.versioning), write, ctx, actor)).set);
    const minted = made as Minted;
    for (const owner of where.hintsFor) await d.hints.add(owner, key, minted.set);
    return minted;
  }

  /** The new version on `current` (a method, not a closure per write: mints are on the hot path). */
  private put(current: SiblingSet, write: Write, ctx: Context, actor: string): Minted {
    // A context naming dots of this actor that this node does not hold: it lost them (a wiped
    // store) or the context is forged. Minting on would reissue or skip dots; a new actor is safe.
    if (vclock.counter(ctx.clock, actor) > vclock.counter(current.clock, actor)) throw new NeedsNewActor(`names dots of ${actor} it never minted`);
    return this.deps.versioning.put(current, { coordinator: actor, context: ctx, now: this.deps.clock.now(), ...write });
  }

  /**
   * A fallback mints from everything it holds for the key and from what it minted for the key
   * before (its hints are deleted once handed off), keeps the result as hints for the primaries, and
   * records it as minted. The caller holds the key's lock.
   */
  private async asFallback(key: string, hintsFor: readonly NodeId[], write: Write, ctx: Context, actor: string): Promise<Minted> {
    const d = this.deps;
    const before = (await d.minted.get(key)) ?? versions.empty();
    const made = this.put(d.versioning.merge(await d.local.view(key), before), write, ctx, actor);
    await d.minted.record(key, made.set);
    for (const owner of hintsFor) await d.hints.add(owner, key, made.set);
    return made;
  }
}
