// The name a node mints dots under: its id, then `id~epoch` once it has forgotten keys (reaper.ts).
//
// Public API
//   Actor.load(storage, id, random): Promise<Actor>   a store with no epoch record gets a random one
//   .name                      the actor of every dot this node mints now
//   .epoch
//   .advance(): Promise<void>  a new epoch, durable before it resolves
//
// Why epochs. A coordinator mints a key's next dot one past the highest it holds for that key, and a
// client's context covers a dot range (every dot of an actor up to a counter). A node that reaped a
// key holds nothing for it, so it would count from one again; a client still holding a context from
// before the delete (covering, say, n1:5) would then cover the new n1:1..n1:5 it never saw, and its
// next write would drop them as superseded: lost writes. After a reap the node mints under a new
// actor that no existing context names, so nothing minted later can be covered by an old context.
// Epoch 0 would be the plain id; no store has it any more (below).
//
// Why a fresh store starts at a random epoch. A node id outlives its store: a tab keeps its id in
// sessionStorage when IndexedDB is cleared, `?node=` and `dynamo-node --id` reuse one over an empty
// directory. A store that starts empty cannot know what its id minted before, so counting from one
// under the plain id would reissue dots other replicas hold (Riak's KV679: they drop the new write as
// already seen, an acknowledged write lost; found by the swarm's wipe fault, seed 13). An epoch
// drawn from 2^40 names an actor no earlier store of this id used, and it is durable before any mint.
// A store from before this rule (no record, keys minted under the plain id) is treated the same way:
// a new actor is always safe.

import { randomInt, type Random } from '../ports/random';
import type { Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';

const META = 'actor-epoch';
/** Fresh stores draw their first epoch from [1, FRESH_EPOCHS]; advance() adds one, far below 2^53. */
const FRESH_EPOCHS = 2 ** 40;

export class Actor {
  private constructor(
    private readonly storage: Storage,
    readonly id: NodeId,
    private current: number,
  ) {}

  static async load(storage: Storage, id: NodeId, random: Random): Promise<Actor> {
    const raw = await storage.getMeta(META);
    if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return new Actor(storage, id, raw);
    const epoch = 1 + randomInt(random, FRESH_EPOCHS);
    await storage.putMeta(META, epoch);
    return new Actor(storage, id, epoch);
  }

  get epoch(): number {
    return this.current;
  }

  get name(): string {
    return actorName(this.id, this.current);
  }

  async advance(): Promise<void> {
    const next = this.current + 1;
    await this.storage.putMeta(META, next);
    this.current = next;
  }
}

function actorName(id: NodeId, epoch: number): string {
  return epoch === 0 ? id : `${id}~${epoch}`;
}
