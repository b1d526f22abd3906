// The storage contract: what every Storage adapter (memory, IndexedDB) must do; runs in Node and browser.
import { describe, expect, it } from 'vitest';
import { ClosedError, type Json, type KeyRecord, type Storage } from '../../src/ports/storage';

export interface StorageHarness {
  /** A fresh, empty store. */
  open(): Promise<Storage>;
  /** A new handle onto the same data, as after a restart (the previous handle was closed). */
  reopen(): Promise<Storage>;
  /** Removes the data; open handles may still exist. */
  cleanup(): Promise<void>;
}

const rec = (key: string, partition: number, value: Json = key): KeyRecord => ({ key, partition, value });

// Ordering is by UTF-16 code units, as in both JS `<` and IndexedDB key comparison.
const ODD_KEYS = ['b', 'a', 'B', 'aa', '10', '9', 'é', 'z', '\u{1F600}', 'a b', 'ab'];

export function storageContract(name: string, factory: () => Promise<StorageHarness>): void {
  /** Runs a test on a fresh store; closes every handle it opened and cleans up, even on failure. */
  const withStore = async (fn: (s: Storage, reopen: () => Promise<Storage>) => Promise<void>) => {
    const harness = await factory();
    const handles: Storage[] = [];
    const track = (s: Storage) => (handles.push(s), s);
    try {
      await fn(track(await harness.open()), async () => track(await harness.reopen()));
    } finally {
      for (const h of handles) await h.close().catch(() => undefined);
      await harness.cleanup();
    }
  };

  describe(`Storage contract: ${name}`, () => {
    describe('key records', () => {
      it('reads a missing key as undefined', () =>
        withStore(async (s) => {
          expect(await s.get('nope')).toBeUndefined();
        }));

      it('round-trips JSON values', () =>
        withStore(async (s) => {
          const values: Json[] = [
            null,
            true,
            false,
            0,
            -1.5,
            Number.MAX_SAFE_INTEGER,
            '',
            'héllo \u{1F600}',
            [],
            [1, 'two', null, [3]],
            {},
            { nested: { deep: [{ a: 1 }, { b: null }] }, 'weird key': 'x' },
          ];
          await Promise.all(values.map((v, i) => s.put(rec(`k${i}`, i % 3, v))));
          for (const [i, v] of values.entries()) {
            expect(await s.get(`k${i}`)).toEqual(rec(`k${i}`, i % 3, v));
          }
        }));

      it('overwrites a key, moving it to its new partition', () =>
        withStore(async (s) => {
          await s.put(rec('k', 1, 'old'));
          await s.put(rec('k', 2, 'new'));
          expect(await s.get('k')).toEqual(rec('k', 2, 'new'));
          expect((await s.scanPartition(1)).records).toEqual([]);
          expect((await s.scanPartition(2)).records).toEqual([rec('k', 2, 'new')]);
          expect(await s.count()).toBe(1);
        }));

      it('deletes a key, and deleting a missing key is fine', () =>
        withStore(async (s) => {
          await s.put(rec('k', 1));
          await s.delete('k');
          await s.delete('never-there');
          expect(await s.get('k')).toBeUndefined();
          expect(await s.count()).toBe(0);
          expect((await s.scanPartition(1)).records).toEqual([]);
        }));

      it('counts key records, not metadata', () =>
        withStore(async (s) => {
          expect(await s.count()).toBe(0);
          await s.putMany([rec('a', 1), rec('b', 2), rec('c', 1)]);
          await s.putMeta('m', 1);
          expect(await s.count()).toBe(3);
        }));
    });

    describe('putMany', () => {
      it('makes a batch visible all at once', () =>
        withStore(async (s) => {
          const batch = Array.from({ length: 50 }, (_, i) => rec(`k${String(i).padStart(2, '0')}`, i % 4));
          const written = s.putMany(batch);
          const seen: number[] = [];
          let done = false;
          void written.then(() => (done = true));
          while (!done) seen.push(await s.count());
          await written;
          expect(seen.every((n) => n === 0 || n === 50)).toBe(true);
          expect(await s.count()).toBe(50);
        }));

      it('writes nothing when one record cannot be stored', () =>
        withStore(async (s) => {
          const bad = rec('bad', 1, (() => 1) as unknown as Json);
          await expect(s.putMany([rec('good1', 1), bad, rec('good2', 1)])).rejects.toThrow();
          expect(await s.count()).toBe(0);
          await s.put(rec('after', 1));
          expect(await s.count()).toBe(1);
        }));

      it('lets the last of duplicate keys win', () =>
        withStore(async (s) => {
          await s.putMany([rec('k', 1, 1), rec('k', 1, 2)]);
          expect(await s.get('k')).toEqual(rec('k', 1, 2));
        }));

      it('accepts an empty batch', () =>
        withStore(async (s) => {
          await s.putMany([]);
          expect(await s.count()).toBe(0);
        }));
    });

    describe('update (read-modify-write)', () => {
      it('hands fn the stored record, or undefined, and stores what it returns', () =>
        withStore(async (s) => {
          const seen: Array<KeyRecord | undefined> = [];
          await s.update('k', 3, (cur) => (seen.push(cur), 1));
          await s.update('k', 3, (cur) => (seen.push(cur), ((cur?.value as number) ?? 0) + 1));
          expect(seen).toEqual([undefined, rec('k', 3, 1)]);
          expect(await s.get('k')).toEqual(rec('k', 3, 2));
          expect((await s.scanPartition(3)).records).toEqual([rec('k', 3, 2)]);
        }));

      it('stores nothing when fn returns undefined', () =>
        withStore(async (s) => {
          await s.update('k', 1, () => undefined);
          expect(await s.get('k')).toBeUndefined();
          expect(await s.count()).toBe(0);
        }));

      it('fails only its own call when fn throws; writes made alongside still commit', () =>
        withStore(async (s) => {
          await s.put(rec('k', 1, 'before'));
          const boom = new Error('refused');
          const results = await Promise.allSettled([
            s.put(rec('a', 1, 'a')),
            s.update('k', 1, () => {
              throw boom;
            }),
            s.update('b', 1, () => 'b'),
          ]);
          expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
          expect((results[1] as PromiseRejectedResult).reason).toBe(boom);
          expect(await s.get('k')).toEqual(rec('k', 1, 'before'));
          expect(await s.get('a')).toEqual(rec('a', 1, 'a'));
          expect(await s.get('b')).toEqual(rec('b', 1, 'b'));
        }));

      it('sees the writes that resolved before it, and keeps its result across a reopen', () =>
        withStore(async (s, reopen) => {
          await s.put(rec('k', 1, 1));
          await s.update('k', 1, (cur) => ((cur?.value as number) ?? 0) + 10);
          await s.close();
          expect(await (await reopen()).get('k')).toEqual(rec('k', 1, 11));
        }));
    });

    describe('scanPartition', () => {
      const fill = (s: Storage) =>
        s.putMany([...ODD_KEYS.map((k) => rec(k, 7)), rec('other', 8), rec('also-other', 6)]);
      const sorted = [...ODD_KEYS].sort();

      it('returns one partition in ascending key order', () =>
        withStore(async (s) => {
          await fill(s);
          const page = await s.scanPartition(7);
          expect(page.records.map((r) => r.key)).toEqual(sorted);
          expect(page.records.every((r) => r.partition === 7)).toBe(true);
          expect(page.next).toBeUndefined();
        }));

      it('returns an empty page for an empty partition', () =>
        withStore(async (s) => {
          await fill(s);
          expect(await s.scanPartition(99)).toEqual({ records: [], next: undefined });
        }));

      it('pages with limit and after until exhausted', () =>
        withStore(async (s) => {
          await fill(s);
          const keys: string[] = [];
          let after: string | undefined;
          let pages = 0;
          do {
            const page = await s.scanPartition(7, after === undefined ? { limit: 3 } : { after, limit: 3 });
            expect(page.records.length).toBeLessThanOrEqual(3);
            keys.push(...page.records.map((r) => r.key));
            after = page.next;
            pages++;
          } while (after !== undefined);
          expect(keys).toEqual(sorted);
          expect(pages).toBe(Math.ceil(sorted.length / 3));
        }));

      it('reports no next page when the limit exactly fits the rest', () =>
        withStore(async (s) => {
          await fill(s);
          const page = await s.scanPartition(7, { limit: sorted.length });
          expect(page.records).toHaveLength(sorted.length);
          expect(page.next).toBeUndefined();
        }));

      it('starts strictly after `after`, which need not be a stored key', () =>
        withStore(async (s) => {
          await fill(s);
          expect((await s.scanPartition(7, { after: 'a' })).records.map((r) => r.key)).toEqual(
            sorted.filter((k) => k > 'a'),
          );
          expect((await s.scanPartition(7, { after: 'ab0' })).records.map((r) => r.key)).toEqual(
            sorted.filter((k) => k > 'ab0'),
          );
        }));

      it('rejects a limit below 1', () =>
        withStore(async (s) => {
          await expect(s.scanPartition(7, { limit: 0 })).rejects.toBeInstanceOf(RangeError);
        }));
    });

    describe('metadata', () => {
      it('gets, puts, overwrites and deletes', () =>
        withStore(async (s) => {
          expect(await s.getMeta('id')).toBeUndefined();
          await s.putMeta('id', { node: 'n1', tokens: [1, 2] });
          expect(await s.getMeta('id')).toEqual({ node: 'n1', tokens: [1, 2] });
          await s.putMeta('id', 'n2');
          expect(await s.getMeta('id')).toBe('n2');
          await s.deleteMeta('id');
          await s.deleteMeta('never-there');
          expect(await s.getMeta('id')).toBeUndefined();
        }));

      it('keeps a stored null distinct from missing', () =>
        withStore(async (s) => {
          await s.putMeta('n', null);
          expect(await s.getMeta('n')).toBeNull();
        }));

      it('keeps metadata and key records apart', () =>
        withStore(async (s) => {
          await s.putMeta('same', 'meta');
          await s.put(rec('same', 1, 'key'));
          expect(await s.getMeta('same')).toBe('meta');
          expect(await s.get('same')).toEqual(rec('same', 1, 'key'));
        }));

      it('lists by prefix in ascending name order', () =>
        withStore(async (s) => {
          const names = ['hint/b', 'hint/a', 'hint/', 'hinu', 'hin', 'hint/\uffff', 'member/x', 'hint/a/2'];
          await Promise.all(names.map((n, i) => s.putMeta(n, i)));
          const listed = await s.listMeta('hint/');
          expect(listed.map((m) => m.name)).toEqual(['hint/', 'hint/a', 'hint/a/2', 'hint/b', 'hint/\uffff']);
          expect(listed.find((m) => m.name === 'hint/b')?.value).toBe(names.indexOf('hint/b'));
          expect((await s.listMeta('')).map((m) => m.name)).toEqual([...names].sort());
          expect(await s.listMeta('nothing')).toEqual([]);
        }));
    });

    describe('isolation', () => {
      it('stores a copy: mutating what was written changes nothing', () =>
        withStore(async (s) => {
          const r = { key: 'k', partition: 1, value: { n: 1 } as { n: number } };
          const many = [{ key: 'm', partition: 1, value: [1] as number[] }];
          const meta = { list: [1] };
          await Promise.all([s.put(r), s.putMany(many), s.putMeta('meta', meta)]);
          r.value.n = 2;
          many[0]!.value.push(2);
          meta.list.push(2);
          expect(await s.get('k')).toEqual(rec('k', 1, { n: 1 }));
          expect(await s.get('m')).toEqual(rec('m', 1, [1]));
          expect(await s.getMeta('meta')).toEqual({ list: [1] });
        }));

      it('stores a copy even when mutated before the write resolves', () =>
        withStore(async (s) => {
          // The second write waits for the first (group commit); it must not see the later mutation.
          const first = { key: 'a', partition: 1, value: { n: 1 } as { n: number } };
          const second = { key: 'b', partition: 1, value: { n: 1 } as { n: number } };
          const writes = [s.put(first), s.put(second)];
          first.value.n = 2;
          second.value.n = 2;
          await Promise.all(writes);
          expect(await s.get('a')).toEqual(rec('a', 1, { n: 1 }));
          expect(await s.get('b')).toEqual(rec('b', 1, { n: 1 }));
        }));

      it('returns copies: mutating what was read changes nothing', () =>
        withStore(async (s) => {
          await s.put(rec('k', 1, { n: 1 }));
          await s.putMeta('meta', { n: 1 });
          (((await s.get('k'))!.value) as { n: number }).n = 2;
          ((await s.scanPartition(1)).records[0]!.value as { n: number }).n = 3;
          ((await s.getMeta('meta')) as { n: number }).n = 2;
          ((await s.listMeta(''))[0]!.value as { n: number }).n = 3;
          expect(await s.get('k')).toEqual(rec('k', 1, { n: 1 }));
          expect(await s.getMeta('meta')).toEqual({ n: 1 });
        }));
    });

    describe('concurrency', () => {
      it('resolves many concurrent writes of every kind, and all are visible', () =>
        withStore(async (s) => {
          await s.putMany(Array.from({ length: 20 }, (_, i) => rec(`gone${i}`, 0)));
          await s.putMeta('gone', 1);
          const puts = Array.from({ length: 200 }, (_, i) => s.put(rec(`k${i}`, i % 8, i)));
          const batches = Array.from({ length: 10 }, (_, b) =>
            s.putMany(Array.from({ length: 5 }, (_, i) => rec(`b${b}-${i}`, b))),
          );
          const metas = Array.from({ length: 30 }, (_, i) => s.putMeta(`m/${i}`, i));
          const deletes = Array.from({ length: 20 }, (_, i) => s.delete(`gone${i}`));
          await Promise.all([...puts, ...batches, ...metas, ...deletes, s.deleteMeta('gone')]);
          expect(await s.count()).toBe(250);
          for (let i = 0; i < 200; i += 37) expect(await s.get(`k${i}`)).toEqual(rec(`k${i}`, i % 8, i));
          expect(await s.listMeta('m/')).toHaveLength(30);
          expect(await s.getMeta('gone')).toBeUndefined();
        }));

      it('applies writes to one key in call order', () =>
        withStore(async (s) => {
          await Promise.all(Array.from({ length: 30 }, (_, i) => s.put(rec('k', 1, i))));
          expect(await s.get('k')).toEqual(rec('k', 1, 29));
        }));
    });

    describe('lifecycle', () => {
      it('keeps everything across close and reopen', () =>
        withStore(async (s, reopen) => {
          await s.putMany([rec('a', 1, { v: 1 }), rec('b', 2)]);
          await s.putMeta('node-id', 'n1');
          await s.close();
          const t = await reopen();
          expect(await t.get('a')).toEqual(rec('a', 1, { v: 1 }));
          expect((await t.scanPartition(2)).records).toEqual([rec('b', 2)]);
          expect(await t.getMeta('node-id')).toBe('n1');
          expect(await t.count()).toBe(2);
        }));

      it('commits writes accepted before close', () =>
        withStore(async (s, reopen) => {
          const writes = Array.from({ length: 10 }, (_, i) => s.put(rec(`k${i}`, 1)));
          await s.close();
          await Promise.all(writes);
          const t = await reopen();
          expect(await t.count()).toBe(10);
        }));

      it('rejects every call after close with ClosedError; close is idempotent', () =>
        withStore(async (s) => {
          await s.close();
          const calls: Array<() => Promise<unknown>> = [
            () => s.get('k'),
            () => s.put(rec('k', 1)),
            () => s.putMany([rec('k', 1)]),
            () => s.delete('k'),
            () => s.scanPartition(1),
            () => s.count(),
            () => s.getMeta('m'),
            () => s.putMeta('m', 1),
            () => s.deleteMeta('m'),
            () => s.listMeta(''),
          ];
          for (const call of calls) await expect(call()).rejects.toBeInstanceOf(ClosedError);
          await expect(s.close()).resolves.toBeUndefined();
        }));
    });
  });
}
