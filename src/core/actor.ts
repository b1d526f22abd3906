// The name a node mints dots under: its id, then `id~epoch` once it has forgotten keys (reaper.ts).
//
// Public API
//   Actor.load(storage, id): Promise<Actor>
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
// Epoch 0 is the plain id, so a node that never reaped mints exactly as before.

import type { Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';

const META = 'actor-epoch';

export class Actor {
  private constructor(
    private readonly storage: Storage,
    readonly id: NodeId,
    private current: number,
  ) {}

  static async load(storage: Storage, id: NodeId): Promise<Actor> {
    const raw = await storage.getMeta(META);
    const epoch = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? raw : 0;
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
