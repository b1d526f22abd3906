// Tests for core/transfer.ts: keys move to their new replicas after a ring change (paper §4.9.2),
// deleted here only once acknowledged, never when a write raced the shipment, and remembered in the
// MintLog so this node never reissues a dot for them.
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { partitionOf } from '../../src/core/hash';
import { MembershipView } from '../../src/core/membership';
import { MintLog } from '../../src/core/minted';
import { Refusals } from '../../src/core/refusals';
import { ReplicaStore } from '../../src/core/replica';
import { Placement } from '../../src/core/placement';
import type { Ring } from '../../src/core/protocol/ring';
import type { KeySet } from '../../src/core/protocol/wire';
import { assign, clockwise } from '../../src/core/ring';
import { Transfers, type TransferDeps } from '../../src/core/transfer';
import * as versions from '../../src/core/versions';
import type { Json, Storage } from '../../src/ports/storage';
import type { NodeId } from '../../src/ports/transport';

// ---------------------------------------------------------------------------------------------------
// Harness

const Q = 16;
const SELF = 'a';

type Shipment = { to: NodeId; sets: KeySet[] };

/** Lets pending promise callbacks (storage, locks) run; no timers involved. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Env {
  storage: Storage;
  replica: ReplicaStore;
  minted: MintLog;
  transfers: Transfers;
  /** The actor `a` mints under: 'a', then 'a~1', ... after each newEpoch. */
  actor: string;
  /** How many times the node moved to a new actor epoch. */
  forgets: number;
  /** Runs inside newEpoch, after the new epoch is in effect. */
  afterForget: (() => Promise<void>) | undefined;
  shipped: Shipment[];
  /** Targets whose ship resolves false. */
  failing: Set<NodeId>;
  /** Keys each target refuses to merge (named in its ack). */
  refuses: Map<NodeId, Set<string>>;
  /** Targets whose ship rejects. */
  throwing: Set<NodeId>;
  healthy: Set<NodeId>;
  members: Set<NodeId>;
  /** Nodes removed from the ring (default: every node not in `members`). */
  removed: Set<NodeId> | undefined;
  /** Runs inside ship, before it resolves (after the shipment was recorded). */
  beforeAck: ((s: Shipment) => Promise<void>) | undefined;
  /** When set, ship waits for the returned promise (to hold acks back). */
  gate: ((s: Shipment) => Promise<void>) | undefined;
  ring: Ring | undefined;
  write(key: string, value: Json): Promise<versions.SiblingSet>;
  stored(key: string): Promise<Json | undefined>;
  keysShippedTo(to: NodeId): Set<string>;
}

function setup(opts: { n: number; w: number; ring: Ring; members: NodeId[]; batchKeys?: number; batchChars?: number; refusals?: Refusals }): Env {
  const storage = memoryStorage();
  const replica = new ReplicaStore(storage, Q);
  let epoch = 0;
  const minted = new MintLog(storage, versions.merge, () => epoch);
  const env = {
    actor: SELF,
    forgets: 0,
    afterForget: undefined,
    storage,
    replica,
    minted,
    shipped: [] as Shipment[],
    failing: new Set<NodeId>(),
    refuses: new Map<NodeId, Set<string>>(),
    throwing: new Set<NodeId>(),
    healthy: new Set(opts.members.filter((m) => m !== SELF)),
    members: new Set(opts.members),
    beforeAck: undefined,
    gate: undefined,
    ring: opts.ring,
  } as unknown as Env;
  const deps: TransferDeps = {
    self: SELF,
    placement: new Placement({
      self: SELF,
      n: opts.n,
      ring: () => env.ring,
      health: { healthy: (id) => env.healthy.has(id), reachable: (id) => env.healthy.has(id) },
    }),
    w: opts.w,
    batchKeys: opts.batchKeys ?? 1000,
    shipment: { keys: opts.batchKeys ?? 1000, chars: opts.batchChars ?? 1_000_000 },
    storage,
    replica,
    minted,
    actor: () => env.actor,
    newEpoch: async () => {
      epoch++;
      env.actor = `${SELF}~${epoch}`;
      env.forgets++;
      await minted.dropOld();
      if (env.afterForget) await env.afterForget();
    },
    ring: () => env.ring,
    wasRemoved: (id) => (env.removed ? env.removed.has(id) : !env.members.has(id)),
    healthy: (id) => env.healthy.has(id),
    ship: async (to, sets) => {
      const s = { to, sets: structuredClone(sets) };
      env.shipped.push(s);
      if (env.gate) await env.gate(s);
      if (env.beforeAck) await env.beforeAck(s);
      if (env.throwing.has(to)) throw new Error(`link to ${to} broke`);
      const refused = sets.map((x) => x.key).filter((k) => env.refuses.get(to)?.has(k));
      return env.failing.has(to) ? false : refused.length > 0 ? refused : true;
    },
    refusals: opts.refusals,
  };
  env.transfers = new Transfers(deps);
  env.write = (key, value) =>
    replica.update(key, (cur) => versions.put(cur, { coordinator: env.actor, context: versions.read(cur).context, value, now: 0 }).set);
  env.stored = async (key) => (await storage.get(key))?.value;
  env.keysShippedTo = (to) => new Set(env.shipped.filter((s) => s.to === to).flatMap((s) => s.sets.map((x) => x.key)));
  return env;
}

/** Keys k0..k{count-1}, grouped by partition. */
function keysByPartition(count: number): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (let i = 0; i < count; i++) {
    const key = `k${i}`;
    const p = partitionOf(key, Q);
    out.set(p, [...(out.get(p) ?? []), key]);
  }
  return out;
}
const KEYS = keysByPartition(200);
const keysIn = (ps: Iterable<number>): string[] => [...ps].flatMap((p) => KEYS.get(p) ?? []);
const allPartitions = (): number[] => Array.from({ length: Q }, (_, p) => p);
const replicates = (ring: Ring, p: number, n: number, node = SELF): boolean => clockwise(ring, p, n).includes(node);

async function writeAll(env: Env, keys: readonly string[]): Promise<void> {
  for (const k of keys) await env.write(k, `v-${k}`);
}

// ---------------------------------------------------------------------------------------------------

describe('transfers: evacuating partitions this node no longer replicates', () => {
  // a, b, c own the ring; d joins and takes partitions: some of a's replicas move to d.
  const prev = assign(undefined, ['a', 'b', 'c'], Q);
  const next = assign(prev, ['a', 'b', 'c', 'd']);
  const N = 2;
  const lost = allPartitions().filter((p) => replicates(prev, p, N) && !replicates(next, p, N));
  const kept = allPartitions().filter((p) => replicates(next, p, N));
  const gone = allPartitions().filter((p) => !replicates(next, p, N));

  it('the scenario is meaningful: the join takes some of a’s partitions, a keeps others', () => {
    expect(lost.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    expect(keysIn(lost).length).toBeGreaterThan(0);
  });

  it('ships each such partition to its current replicas, then moves to a new actor epoch and deletes its keys', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'] });
    const mine = keysIn(allPartitions().filter((p) => replicates(prev, p, N)));
    await writeAll(env, mine);
    const before = new Map<string, Json | undefined>();
    for (const k of mine) before.set(k, await env.stored(k));

    env.transfers.ringChanged(prev, next);
    // Only partitions this node replicated before can hold its keys; the others are not even scanned.
    expect(env.transfers.pending()).toBe(lost.length);
    await env.transfers.run();

    for (const k of keysIn(lost)) {
      const p = partitionOf(k, Q);
      const targets = clockwise(next, p, N);
      expect(targets).not.toContain(SELF);
      // Shipped to every replica, exactly as stored.
      for (const t of targets) {
        const sent = env.shipped.filter((s) => s.to === t).flatMap((s) => s.sets).filter((s) => s.key === k);
        expect(sent).toEqual([{ key: k, set: before.get(k) }]);
      }
      expect(await env.stored(k)).toBeUndefined();
      // The new epoch, not a record per key, keeps this node from reissuing the key's dots.
      expect(env.minted.has(k)).toBe(false);
    }
    expect(env.forgets).toBe(1);
    expect(await env.storage.listMeta('minted')).toEqual([]);
    // Keys a still replicates stay where they are, are not shipped and not minted.
    for (const k of keysIn(kept)) {
      expect(await env.stored(k)).toEqual(before.get(k));
      expect(env.minted.has(k)).toBe(false);
    }
    const shippedKeys = new Set(env.shipped.flatMap((s) => s.sets.map((x) => x.key)));
    expect([...shippedKeys].sort()).toEqual(keysIn(lost).sort());
    // Nothing is shipped to a node that is not a replica of the key's partition.
    for (const s of env.shipped) for (const x of s.sets) expect(clockwise(next, partitionOf(x.key, Q), N)).toContain(s.to);

    expect(env.transfers.pending()).toBe(0);
    expect(env.transfers.stats()).toEqual({ moved: keysIn(lost).length, copied: 0, partitionsPending: 0 });
  });

  it('moves to a new epoch before the first delete; a key minted under the new actor meanwhile keeps a minted record', async () => {
    // More partitions than run in parallel (4): the last is scanned after the epoch moved on. Keys on
    // partitions this node never replicated are strays, queued like the rest by queueAll.
    const withKeys = gone.filter((p) => KEYS.has(p));
    expect(withKeys.length).toBeGreaterThan(4);
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'] });
    await writeAll(env, keysIn(gone));
    const late = KEYS.get(withKeys.at(-1)!)![0]!;
    let deletedBeforeForget = false;
    env.afterForget = async () => {
      for (const k of keysIn(gone)) if ((await env.stored(k)) === undefined) deletedBeforeForget = true;
      await env.write(late, 'minted under a~1');
    };
    env.transfers.queueAll();
    await env.transfers.run();
    expect(deletedBeforeForget).toBe(false);
    expect(env.forgets).toBe(1);
    for (const k of keysIn(gone)) expect(await env.stored(k)).toBeUndefined();
    expect(env.transfers.pending()).toBe(0);
    // a~1 is still the actor in effect, so the dot it minted for `late` is kept on record...
    expect(versions.read((await env.minted.get(late))!).values).toEqual(['minted under a~1']);
    // ...and only for that key.
    expect(keysIn(gone).filter((k) => env.minted.has(k))).toEqual([late]);
  });

  it('deletes nothing before every live target acknowledged', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'] });
    const p = lost[0]!;
    await writeAll(env, KEYS.get(p)!);
    env.transfers.ringChanged(prev, next);
    const release = new Map<NodeId, () => void>();
    env.gate = (s) => new Promise<void>((r) => release.set(s.to, r));

    const run = env.transfers.run();
    await flush();
    const [first, second] = clockwise(next, p, N) as [NodeId, NodeId];
    expect([...release.keys()].sort()).toEqual([first, second].sort());
    for (const k of KEYS.get(p)!) expect(await env.stored(k)).toBeDefined();

    release.get(first)!();
    await flush();
    for (const k of KEYS.get(p)!) expect(await env.stored(k)).toBeDefined();
    expect(env.minted.has(KEYS.get(p)![0]!)).toBe(false);

    release.get(second)!();
    await run;
    for (const k of KEYS.get(p)!) expect(await env.stored(k)).toBeUndefined();
  });

  it('a key written between ship and ack is not deleted, and goes on the next pass', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'] });
    const p = lost.find((x) => (KEYS.get(x)?.length ?? 0) >= 2)!;
    const [raced, ...others] = KEYS.get(p)!;
    await writeAll(env, KEYS.get(p)!);
    env.transfers.ringChanged(prev, next);
    let wrote = false;
    env.beforeAck = async (s) => {
      if (!wrote && s.sets.some((x) => x.key === raced)) {
        wrote = true;
        await env.write(raced!, 'newer');
      }
    };
    await env.transfers.run();

    expect(wrote).toBe(true);
    const left = await env.stored(raced!);
    expect(left).toBeDefined();
    expect(versions.read(versions.fromJson(left)).values).toEqual(['newer']);
    expect(env.minted.has(raced!)).toBe(false);
    for (const k of others) expect(await env.stored(k)).toBeUndefined();
    expect(env.transfers.pending()).toBe(1);
    expect(env.transfers.stats().moved).toBe(others.length);

    // The next pass ships the new version and lets go of it.
    env.beforeAck = undefined;
    env.shipped.length = 0;
    await env.transfers.run();
    expect(await env.stored(raced!)).toBeUndefined();
    const resent = env.shipped.flatMap((s) => s.sets).filter((x) => x.key === raced);
    expect(resent).toHaveLength(N);
    for (const x of resent) expect(x.set).toEqual(left);
    expect(env.minted.has(raced!)).toBe(false);
    expect(env.transfers.pending()).toBe(0);
  });

  it('a failed shipment keeps everything and leaves the partition pending', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'] });
    await writeAll(env, keysIn(lost));
    env.transfers.ringChanged(prev, next);
    env.failing.add('d');
    const viaD = lost.filter((p) => clockwise(next, p, N).includes('d'));
    const notViaD = lost.filter((p) => !clockwise(next, p, N).includes('d'));
    expect(viaD.length).toBeGreaterThan(0);
    await env.transfers.run();

    for (const k of keysIn(viaD)) {
      expect(await env.stored(k)).toBeDefined();
      expect(env.minted.has(k)).toBe(false);
    }
    for (const k of keysIn(notViaD)) expect(await env.stored(k)).toBeUndefined();
    expect(env.transfers.pending()).toBe(viaD.filter((p) => KEYS.has(p)).length);

    // Once d acknowledges, the rest goes.
    env.failing.clear();
    await env.transfers.run();
    for (const k of keysIn(lost)) expect(await env.stored(k)).toBeUndefined();
    expect(env.transfers.pending()).toBe(0);
  });

  it('a key a target refused to merge is not deleted, nor shipped again while parked; the rest moves', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'], refusals: new Refusals(() => 0) });
    await writeAll(env, keysIn(lost));
    const poison = keysIn(lost)[0]!;
    const target = clockwise(next, partitionOf(poison, Q), N)[0]!;
    env.refuses.set(target, new Set([poison]));
    env.transfers.ringChanged(prev, next);
    await env.transfers.run();

    expect(await env.stored(poison)).toBeDefined();
    for (const k of keysIn(lost)) if (k !== poison) expect(await env.stored(k)).toBeUndefined();
    expect(env.transfers.pending()).toBe(1);
    // Retried, but the refused key is not sent to the target that refused it while unchanged and parked.
    const sent = () => env.shipped.filter((s) => s.to === target && s.sets.some((x) => x.key === poison)).length;
    expect(sent()).toBe(1);
    await env.transfers.run();
    expect(sent()).toBe(1);
    // Changed here (a client resolved its siblings, say), it goes again.
    env.refuses.clear();
    await env.write(poison, 'resolved');
    await env.transfers.run();
    expect(sent()).toBe(2);
    expect(await env.stored(poison)).toBeUndefined();
    expect(env.transfers.pending()).toBe(0);
  });

  it('a shipment that throws is a failure too, not an unhandled rejection', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'] });
    await writeAll(env, keysIn(lost));
    env.transfers.ringChanged(prev, next);
    env.throwing.add('d');
    await expect(env.transfers.run()).resolves.toBeUndefined();
    for (const k of keysIn(lost.filter((p) => clockwise(next, p, N).includes('d')))) expect(await env.stored(k)).toBeDefined();
    expect(env.transfers.pending()).toBeGreaterThan(0);
  });

  it('small batches: every shipment respects batchKeys and batchChars, and all keys still move', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c', 'd'], batchKeys: 3, batchChars: 1 });
    await writeAll(env, keysIn(lost));
    env.transfers.ringChanged(prev, next);
    await env.transfers.run();
    expect(env.shipped.length).toBeGreaterThan(0);
    // batchChars 1: every set is bigger, so each ships alone.
    for (const s of env.shipped) expect(s.sets).toHaveLength(1);
    for (const k of keysIn(lost)) expect(await env.stored(k)).toBeUndefined();
    expect(env.transfers.pending()).toBe(0);
  });
});

describe('transfers: W acknowledgements with N = 3', () => {
  // a holds keys from an earlier life but is not on the ring at all: everything must go.
  const ring = assign(undefined, ['b', 'c', 'd', 'e'], Q);
  const mk = () => {
    const env = setup({ n: 3, w: 2, ring, members: ['a', 'b', 'c', 'd', 'e'] });
    return env;
  };

  it('queueAll queues every partition this node does not replicate', async () => {
    const env = mk();
    env.transfers.queueAll();
    expect(env.transfers.pending()).toBe(Q);
    await env.transfers.run(); // nothing stored: nothing to do
    expect(env.transfers.pending()).toBe(0);
    expect(env.shipped).toEqual([]);
  });

  it('with one replica down, the two live ones (= W) acknowledging is enough to delete', async () => {
    const env = mk();
    await writeAll(env, keysIn(allPartitions()));
    env.healthy.delete('e');
    env.transfers.queueAll();
    await env.transfers.run();
    expect(env.keysShippedTo('e').size).toBe(0);
    for (const k of keysIn(allPartitions())) {
      expect(await env.stored(k)).toBeUndefined();
      const live = clockwise(ring, partitionOf(k, Q), 3).filter((t) => t !== 'e');
      expect(live.length).toBeGreaterThanOrEqual(2);
      for (const t of live) expect(env.keysShippedTo(t).has(k)).toBe(true);
    }
  });

  it('with fewer live replicas than W nothing is shipped or deleted', async () => {
    const env = mk();
    await writeAll(env, keysIn(allPartitions()));
    env.healthy = new Set(['b']);
    env.transfers.queueAll();
    await env.transfers.run();
    expect(env.shipped).toEqual([]);
    for (const k of keysIn(allPartitions())) expect(await env.stored(k)).toBeDefined();
    expect(env.minted.has('k0')).toBe(false);
    expect(env.transfers.pending()).toBe(Q);
  });

  it('one live replica refusing is enough to keep the keys, even if W others acknowledged', async () => {
    const env = mk();
    await writeAll(env, keysIn(allPartitions()));
    env.failing.add('e');
    env.transfers.queueAll();
    await env.transfers.run();
    for (const k of keysIn(allPartitions())) {
      const viaE = clockwise(ring, partitionOf(k, Q), 3).includes('e');
      if (viaE) expect(await env.stored(k)).toBeDefined();
      else expect(await env.stored(k)).toBeUndefined();
    }
  });

  it('no ring: nothing runs and nothing is lost', async () => {
    const env = mk();
    await writeAll(env, ['k0']);
    env.transfers.queueAll(); // ring present: queues
    env.ring = undefined;
    await env.transfers.run();
    expect(env.shipped).toEqual([]);
    expect(await env.stored('k0')).toBeDefined();
    expect(env.transfers.pending()).toBe(Q);
  });
});

describe('transfers: copying to the replacements of a removed member', () => {
  const prev = assign(undefined, ['a', 'b', 'c', 'd'], Q);
  const next = assign(prev, ['a', 'b', 'c']); // d removed (its data is gone with it)
  const N = 2;
  const mine = allPartitions().filter((p) => replicates(next, p, N));
  /** Partitions where a and d were replicas: a, the only survivor, rebuilds the newcomer. */
  const rebuild = allPartitions().filter((p) => {
    const before = clockwise(prev, p, N);
    return before.includes('a') && before.includes('d');
  });

  it('ships the partition to the new replicas and deletes nothing', async () => {
    expect(rebuild.length).toBeGreaterThan(0);
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c'] });
    await writeAll(env, keysIn(mine));
    const before = new Map<string, Json | undefined>();
    for (const k of keysIn(mine)) before.set(k, await env.stored(k));

    env.transfers.ringChanged(prev, next);
    expect(env.transfers.pending()).toBe(rebuild.length + allPartitions().filter((p) => replicates(prev, p, N) && !replicates(next, p, N)).length);
    await env.transfers.run();

    for (const p of rebuild) {
      const newcomers = clockwise(next, p, N).filter((x) => !clockwise(prev, p, N).includes(x));
      expect(newcomers).toHaveLength(1);
      expect(newcomers).not.toContain(SELF);
      for (const k of KEYS.get(p) ?? []) expect(env.keysShippedTo(newcomers[0]!).has(k)).toBe(true);
    }
    // Only the rebuilt partitions were shipped, only to their newcomers.
    const shipped = env.shipped.flatMap((s) => s.sets.map((x) => ({ to: s.to, p: partitionOf(x.key, Q) })));
    for (const { to, p } of shipped) {
      expect(rebuild).toContain(p);
      expect(clockwise(prev, p, N)).not.toContain(to);
    }
    // Nothing deleted, nothing minted.
    for (const k of keysIn(mine)) {
      expect(await env.stored(k)).toEqual(before.get(k));
      expect(env.minted.has(k)).toBe(false);
    }
    const copied = keysIn(rebuild).length;
    expect(env.transfers.stats()).toEqual({ moved: 0, copied, partitionsPending: 0 });
  });

  it('a failed copy stays pending and is retried', async () => {
    const env = setup({ n: N, w: 2, ring: next, members: ['a', 'b', 'c'] });
    await writeAll(env, keysIn(rebuild));
    env.transfers.ringChanged(prev, next);
    env.failing = new Set(['b', 'c']);
    await env.transfers.run();
    const withKeys = rebuild.filter((p) => KEYS.has(p));
    expect(env.transfers.pending()).toBe(withKeys.length);
    env.failing.clear();
    env.shipped.length = 0;
    await env.transfers.run();
    expect(env.transfers.pending()).toBe(0);
    expect(env.shipped.length).toBeGreaterThan(0);
    for (const k of keysIn(rebuild)) expect(await env.stored(k)).toBeDefined();
  });

  it('a node that is not the first surviving replica leaves the copy to that one', async () => {
    // From b's side: partitions where b survived but a, earlier in the new list, also did.
    const survivorsBoth = allPartitions().filter((p) => {
      const before = clockwise(prev, p, 3);
      const now = clockwise(next, p, 3);
      const surv = now.filter((x) => before.includes(x));
      return before.includes('d') && surv[0] === 'a' && surv.includes('b');
    });
    expect(survivorsBoth.length).toBeGreaterThan(0);
    const env = setup({ n: 3, w: 2, ring: next, members: ['a', 'b', 'c'] });
    await writeAll(env, keysIn(allPartitions()));
    const asB = new Transfers({
      self: 'b',
      placement: new Placement({ self: 'b', n: 3, ring: () => env.ring, health: { healthy: () => true, reachable: () => true } }),
      w: 2,
      batchKeys: 1000,
      shipment: { keys: 1000, chars: 1_000_000 },
      storage: env.storage,
      replica: env.replica,
      minted: env.minted,
      actor: () => 'b',
      newEpoch: async () => {},
      ring: () => next,
      wasRemoved: (id) => id === 'd',
      healthy: (id) => id !== 'd' && id !== 'b',
      ship: async (to, sets) => {
        env.shipped.push({ to, sets });
        return true;
      },
    });
    asB.ringChanged(prev, next);
    await asB.run();
    const shippedPartitions = new Set(env.shipped.flatMap((s) => s.sets.map((x) => partitionOf(x.key, Q))));
    for (const p of survivorsBoth) expect(shippedPartitions.has(p)).toBe(false);
  });
});

describe('transfers: a leave needs no copy (transfer.ts header)', () => {
  // Wired as node.ts wires it: wasRemoved = (view.stateOf(id) === 'removed'). A node that left
  // evacuates its own partitions, so the survivors must not copy them too.
  it('a survivor does not copy partitions when a member leaves', async () => {
    const view = new MembershipView(Q);
    for (const id of ['a', 'b', 'c', 'd']) view.propose('join', id, id);
    const prev = view.ring!;
    view.propose('leave', 'd', 'd');
    const next = view.ring!;
    const env = setup({ n: 2, w: 2, ring: next, members: [] });
    env.members = new Set(view.members());
    env.removed = new Set([...'abcd'].filter((id) => view.stateOf(id) === 'removed'));
    env.healthy = new Set(['b', 'c']);
    await writeAll(env, keysIn(allPartitions().filter((p) => replicates(next, p, 2))));
    env.transfers.ringChanged(prev, next);
    await env.transfers.run();
    expect(env.transfers.stats().copied).toBe(0);
    expect(env.shipped).toEqual([]);
  });
});
