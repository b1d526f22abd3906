// Hinted handoff (paper §4.6): writes a fallback node accepted on behalf of a down replica.
//
// Public API
//   new HintStore(storage, merge)
//   .load(): Promise<void>                          read durable hints at start
//   .add(owner, key, set): Promise<void>            durable before it resolves (then the write is acked)
//                                                   ValidationError if the merge could not be stored (versions.checkStorable)
//   .forKey(key): SiblingSet[]                      hinted sets a read must include
//   .owners(): NodeId[]  .count(): number
//   .batch(owner, max): KeySet[]                    what to deliver next
//   .delivered(owner, sent): Promise<number>        delete what the owner acknowledged, if unchanged
//   .deliver(owner, shipper): Promise<number>       hand every hint for `owner` over in acknowledged
//                                                   shipments (shipping.ts); one delivery per owner
//   .adopt(owner, merge): Promise<number>           the owner left for good: the hints become ours
//
// Why hints live apart from the node's own keys: the fallback does not own the partition, so the
// data must not leak into its replica (anti-entropy and key transfer would spread it further);
// it only holds it until the owner is back. Hints are kept in memory as well: reads consult them
// on every request and there are few of them.

import type { Json, Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import type { KeySet } from './protocol/wire';
import { setToJson } from './replica';
import type { Shipper } from './shipping';
import * as versions from './versions';
import type { SiblingSet } from './versions';

const PREFIX = 'hint:';

export class HintStore {
  private hints = new Map<NodeId, Map<string, SiblingSet>>();
  private readonly delivering = new Set<NodeId>();

  constructor(
    private readonly storage: Storage,
    private readonly merge: (a: SiblingSet, b: SiblingSet) => SiblingSet = versions.merge,
  ) {}

  async load(): Promise<void> {
    for (const { value } of await this.storage.listMeta(PREFIX)) {
      const h = value as { owner?: unknown; key?: unknown; set?: unknown };
      if (typeof h.owner !== 'string' || typeof h.key !== 'string') continue;
      this.slot(h.owner).set(h.key, versions.fromJson(h.set));
    }
  }

  async add(owner: NodeId, key: string, set: SiblingSet): Promise<void> {
    const slot = this.slot(owner);
    const prev = slot.get(key);
    const next = prev ? this.merge(prev, set) : set;
    versions.checkStorable(next);
    slot.set(key, next);
    await this.storage.putMeta(name(owner, key), { owner, key, set: setToJson(next) } as Json);
  }

  forKey(key: string): SiblingSet[] {
    const out: SiblingSet[] = [];
    for (const slot of this.hints.values()) {
      const s = slot.get(key);
      if (s) out.push(s);
    }
    return out;
  }

  owners(): NodeId[] {
    return [...this.hints.keys()].filter((o) => (this.hints.get(o)?.size ?? 0) > 0);
  }

  count(): number {
    let n = 0;
    for (const slot of this.hints.values()) n += slot.size;
    return n;
  }

  batch(owner: NodeId, max: number): Array<KeySet & { held: SiblingSet }> {
    const out: Array<KeySet & { held: SiblingSet }> = [];
    for (const [key, set] of this.hints.get(owner) ?? []) {
      if (out.length >= max) break;
      out.push({ key, set: setToJson(set), held: set });
    }
    return out;
  }

  /** Deletes hints the owner acknowledged; one that changed since it was sent stays for next time. */
  async delivered(owner: NodeId, sent: Array<{ key: string; held: SiblingSet }>): Promise<number> {
    const slot = this.hints.get(owner);
    let removed = 0;
    for (const { key, held } of sent) {
      if (slot?.get(key) !== held) continue;
      slot.delete(key);
      await this.storage.deleteMeta(name(owner, key));
      removed++;
    }
    return removed;
  }

  async deliver(owner: NodeId, shipper: Pick<Shipper, 'ship'>): Promise<number> {
    if (this.delivering.has(owner)) return 0;
    this.delivering.add(owner);
    let n = 0;
    try {
      await shipper.ship(owner, this.batch(owner, Infinity), async (acked) => void (n += await this.delivered(owner, acked)));
    } finally {
      this.delivering.delete(owner);
    }
    return n;
  }

  /** Hints for a node that left or was removed will never be delivered: merged into our replica instead. */
  async adopt(owner: NodeId, merge: (key: string, set: SiblingSet) => Promise<unknown>): Promise<number> {
    const all = this.batch(owner, Infinity);
    for (const h of all) await merge(h.key, h.held);
    return this.delivered(owner, all);
  }

  private slot(owner: NodeId): Map<string, SiblingSet> {
    let slot = this.hints.get(owner);
    if (!slot) this.hints.set(owner, (slot = new Map()));
    return slot;
  }
}

function name(owner: NodeId, key: string): string {
  return `${PREFIX}${owner}\u0000${key}`;
}
