// Ring membership, interim form (paper §4.8 in part): every node that was ever seen is a member,
// and the ring is a pure function of the member set, so nodes that saw the same set agree on it.
//
// Public API
//   Membership.load(storage, self, q): Promise<Membership>
//   .ring: Ring   .members(): NodeId[]
//   .add(id): Promise<boolean>        true when the ring changed (persisted first)
//
// Why "ever seen" and no removal: an outage is not a departure (no rebalancing on a closed tab).
// Explicit join/leave, gossip of histories and key transfer replace this in the membership issue.

import type { Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { assign, type Ring } from './ring';

const META = 'members';

export class Membership {
  private set: Set<NodeId>;
  ring: Ring;

  private constructor(
    private readonly storage: Storage,
    members: Iterable<NodeId>,
    private readonly q: number,
  ) {
    this.set = new Set(members);
    this.ring = assign(undefined, [...this.set], q);
  }

  static async load(storage: Storage, self: NodeId, q: number): Promise<Membership> {
    const saved = await storage.getMeta(META);
    const ids = Array.isArray(saved) ? saved.filter((x): x is string => typeof x === 'string') : [];
    return new Membership(storage, [self, ...ids], q);
  }

  members(): NodeId[] {
    return [...this.set].sort();
  }

  async add(id: NodeId): Promise<boolean> {
    if (this.set.has(id)) return false;
    this.set.add(id);
    await this.storage.putMeta(META, this.members());
    this.ring = assign(undefined, this.members(), this.q);
    return true;
  }
}
