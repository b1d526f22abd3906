// Unit tests of what tombstone reaping rests on: actor epochs (actor.ts), minted records per epoch
// (minted.ts), the reaper's confirmation rule (reaper.ts) and its peer message (protocol/reap.ts).

import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { Actor } from '../../src/core/actor';
import { emptyContext } from '../../src/core/context';
import { partitionOf } from '../../src/core/hash';
import { digestOf } from '../../src/core/merkle';
import { decode, encode, type Message, seal } from '../../src/core/protocol/messages';
import { MintLog } from '../../src/core/minted';
import type { ReapItem } from '../../src/core/protocol/reap';
import { Reaper } from '../../src/core/reaper';
import { ReplicaStore, setToJson } from '../../src/core/replica';
import { Placement } from '../../src/core/placement';
import { assign, clockwise } from '../../src/core/ring';
import * as versions from '../../src/core/versions';
import type { Clock } from '../../src/ports/clock';

const Q = 16;

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    setTimer: () => () => {},
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A Random that always draws `x`: each store below gets a known, distinct epoch. */
const fixed = (x: number) => ({ next: () => x });

describe('Actor', () => {
  it('a fresh store mints under a new random epoch, made durable at once; it advances by one and survives a restart', async () => {
    const storage = memoryStorage();
    const a = await Actor.load(storage, 'n1', fixed(0.1));
    const first = a.epoch;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(a.name).toBe(`n1~${first}`);
    expect((await Actor.load(storage, 'n1', fixed(0.2))).epoch).toBe(first);
    await a.advance();
    await a.advance();
    expect((await Actor.load(storage, 'n1', fixed(0.3))).name).toBe(`n1~${first + 2}`);
  });

  // Found by the swarm (`npm run sim -- --faults all`, seed 13: a node wiped and restarted with its id):
  // counting from one again under the plain id, it reissued dots the other replicas held, and they
  // dropped its new acknowledged writes as already seen (Riak's KV679).
  it('the same id over an emptied store never mints under an actor its earlier store used', async () => {
    const before = await Actor.load(memoryStorage(), 'n1', fixed(0.7));
    const after = await Actor.load(memoryStorage(), 'n1', fixed(0.8));
    expect(after.name).not.toBe(before.name);
    expect(after.name).not.toBe('n1');
  });
});

describe('MintLog epochs', () => {
  it('forgets records of an earlier epoch and keeps those made in the current one', async () => {
    const storage = memoryStorage();
    let epoch = 0;
    const log = new MintLog(storage, versions.merge, () => epoch);
    const set = versions.put(versions.empty(), { coordinator: 'n1', context: emptyContext(), now: 1, value: 'a' }).set;
    await log.record('k', set);
    expect(await log.get('k')).toEqual(set);
    epoch = 1;
    expect(log.has('k')).toBe(false);
    await log.record('j', set);
    expect(await log.dropOld()).toBe(1);
    expect(await storage.listMeta('minted')).toHaveLength(1);
    const reloaded = new MintLog(storage, versions.merge, () => 1);
    await reloaded.load();
    expect(reloaded.has('j')).toBe(true);
    expect(reloaded.has('k')).toBe(false);
  });
});

describe('Reaper', () => {
  const ring = assign(undefined, ['a', 'b', 'c', 'd'], Q);
  const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => clockwise(ring, partitionOf(k, Q), 3)[0] === 'a')!;
  const p = partitionOf(key, Q);
  const [, b, c] = clockwise(ring, p, 3) as [string, string, string];

  async function setup() {
    const clock = manualClock();
    const storage = memoryStorage();
    const replica = new ReplicaStore(storage, Q);
    const live = versions.put(versions.empty(), { coordinator: 'a', context: emptyContext(), now: 0, value: 'v' });
    const dead = versions.put(live.set, { coordinator: 'a', context: live.context, now: 0, tombstone: true }).set;
    await storage.put({ key, partition: p, value: setToJson(dead) });
    const told: Array<{ to: string; items: ReapItem[] }> = [];
    let forgot = 0;
    const reaper = new Reaper({
      self: 'a',
      placement: new Placement({ self: 'a', n: 3, ring: () => ring, health: { healthy: () => true, reachable: () => true } }),
      clock,
      graceMs: 1000,
      intervalMs: 100,
      ring: () => ring,
      storage,
      replica,
      hasHints: () => false,
      newEpoch: async () => void forgot++,
      notify: (to, items) => told.push({ to, items }),
    });
    const digest = digestOf(dead);
    reaper.hashed(key, p, digest, 5);
    return { clock, storage, reaper, digest, told, forgot: () => forgot };
  }

  it('reaps only after the grace period and a clean exchange with every other primary begun after hashing', async () => {
    const s = await setup();
    s.reaper.exchanged(b, p, 6, new Set());
    s.reaper.exchanged(c, p, 4, new Set()); // began before the tombstone was hashed: proves nothing
    s.clock.advance(2000);
    expect(await s.reaper.round()).toBe(0);
    s.reaper.exchanged(c, p, 7, new Set([key])); // the key differed
    expect(await s.reaper.round()).toBe(0);
    expect(await s.storage.get(key)).toBeDefined();
    s.reaper.exchanged(c, p, 8, new Set());
    expect(await s.reaper.round()).toBe(1);
    expect(await s.storage.get(key)).toBeUndefined();
    expect(s.forgot()).toBe(1);
    expect(s.told.map((t) => t.to).sort()).toEqual([b, c].sort());
    expect(s.told[0]!.items).toEqual([{ key, digest: s.digest }]);
  });

  it('does not reap within the grace period; a notice reaps at once, but only the same set', async () => {
    const s = await setup();
    s.reaper.exchanged(b, p, 6, new Set());
    s.reaper.exchanged(c, p, 6, new Set());
    s.clock.advance(500);
    expect(await s.reaper.round()).toBe(0);
    s.reaper.noticed(b, [{ key, digest: 'not-the-same-set' }]);
    s.clock.advance(100);
    expect(await s.reaper.round()).toBe(0);
    expect(s.forgot()).toBe(0); // nothing to reap: the actor keeps its epoch
    s.reaper.noticed('d', [{ key, digest: s.digest }]); // d is no primary of the key: ignored
    expect(await s.reaper.round()).toBe(0);
    s.reaper.noticed(b, [{ key, digest: s.digest }]);
    expect(await s.reaper.round()).toBe(1);
    expect(await s.storage.get(key)).toBeUndefined();
  });

  it('remembers what it reaped, so a pushed-back copy can be dropped', async () => {
    const s = await setup();
    s.reaper.noticed(c, [{ key, digest: s.digest }]);
    const set = versions.fromJson((await s.storage.get(key))!.value);
    await s.reaper.round();
    expect(s.reaper.wasReaped(key, set)).toEqual({ key, digest: s.digest });
    const other = versions.put(set, { coordinator: 'b', context: emptyContext(), now: 1, value: 'new' }).set;
    expect(s.reaper.wasReaped(key, other)).toBeUndefined();
  });
});

describe("the 'reaped' message", () => {
  it('round-trips and rejects bad items', () => {
    const msg: Message = { type: 'reaped', id: 0, items: [{ key: 'k', digest: 'abc' }] };
    expect(decode(encode(msg))).toEqual({ ok: true, msg });
    expect(decode(seal(JSON.stringify({ type: 'reaped', id: 0, items: [{ key: '' }] })))).toEqual({ ok: false, reason: 'bad-reaped' });
    const many = Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, digest: 'd' }));
    expect(decode(seal(JSON.stringify({ type: 'reaped', id: 0, items: many }))).ok).toBe(false);
  });
});
