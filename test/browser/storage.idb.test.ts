// The storage contract and IndexedDB-specific behaviour (group commit, storage full), in real Chromium.
import { describe, expect, it } from 'vitest';
import {
  deleteIdbStorage,
  idbName,
  openIdbStorage,
  type IdbStorage,
  type IdbStorageOptions,
} from '../../src/adapters/idb/storage';
import { ClosedError, StorageFullError, type KeyRecord } from '../../src/ports/storage';
import { storageContract } from '../contracts/storage.contract';

const freshName = () => `test-${crypto.randomUUID()}`;

storageContract('IndexedDB', async () => {
  const name = freshName();
  return {
    open: () => openIdbStorage(name),
    reopen: () => openIdbStorage(name),
    cleanup: () => deleteIdbStorage(name),
  };
});

const rec = (key: string, value: KeyRecord['value'] = key): KeyRecord => ({ key, partition: 1, value });

/** Runs a test on a fresh database and deletes it afterwards. */
async function withIdb(fn: (s: IdbStorage) => Promise<void>, opts?: IdbStorageOptions): Promise<void> {
  const name = freshName();
  const s = await openIdbStorage(name, opts);
  try {
    await fn(s);
  } finally {
    await s.close();
    await deleteIdbStorage(name);
  }
}

/** Temporarily replaces a prototype method; returns the restore function. */
function patch<T extends object, K extends keyof T>(proto: T, key: K, replacement: T[K]): () => void {
  const original = proto[key];
  proto[key] = replacement;
  return () => {
    proto[key] = original;
  };
}

describe('IndexedDB storage: group commit', () => {
  it('commits 100 concurrent puts in far fewer transactions', () =>
    withIdb(async (s) => {
      const before = s.stats();
      await Promise.all(Array.from({ length: 100 }, (_, i) => s.put(rec(`k${i}`))));
      const after = s.stats();
      // The first put starts at once; the other 99 arrive while it is in flight and share the next one.
      expect(after.transactions - before.transactions).toBeLessThanOrEqual(3);
      expect(after.writes - before.writes).toBe(100);
      expect(after.batchedWrites - before.batchedWrites).toBeGreaterThanOrEqual(90);
      expect(after.maxBatch).toBeGreaterThanOrEqual(90);
      expect(await s.count()).toBe(100);
    }));

  it('serves gets made in one task from one readonly transaction, each with its own answer', () =>
    withIdb(async (s) => {
      await s.putMany(Array.from({ length: 50 }, (_, i) => rec(`g${i}`)));
      const before = s.stats();
      const got = await Promise.all(Array.from({ length: 60 }, (_, i) => s.get(`g${i}`)));
      const after = s.stats();
      expect(got.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => rec(`g${i}`)));
      expect(got.slice(50)).toEqual(Array(10).fill(undefined));
      expect(after.reads - before.reads).toBe(60);
      expect(after.readTransactions - before.readTransactions).toBe(1);
    }));

  it('a get after a write in the same task sees the write', () =>
    withIdb(async (s) => {
      const written = s.put(rec('same-task'));
      const read = s.get('same-task');
      await written;
      expect(await read).toEqual(rec('same-task'));
    }));

  it('starts a lone write transaction synchronously, with no timer', () =>
    withIdb(async (s) => {
      const before = s.stats().transactions;
      const written = s.put(rec('lone'));
      expect(s.stats().transactions).toBe(before + 1);
      await written;
      expect(await s.get('lone')).toEqual(rec('lone'));
    }));

  it('commits writes made in one task in one transaction, however they were started', () =>
    withIdb(async (s) => {
      const before = s.stats();
      const writes = [s.put(rec('a')), s.putMeta('m', 1)];
      await Promise.resolve();
      writes.push(s.delete('a'), s.put(rec('b')));
      await Promise.all(writes);
      const after = s.stats();
      expect(after.transactions - before.transactions).toBe(1);
      expect(after.writes - before.writes).toBe(4);
      expect(await s.get('a')).toBeUndefined();
      expect(await s.get('b')).toEqual(rec('b'));
      expect(await s.getMeta('m')).toBe(1);
    }));

  it('a write joining a transaction fails alone when its value cannot be stored', () =>
    withIdb(async (s) => {
      const first = s.put(rec('ok1'));
      const bad = s.put(rec('bad', (() => 1) as unknown as KeyRecord['value']));
      const last = s.put(rec('ok2'));
      await expect(bad).rejects.toMatchObject({ name: 'DataCloneError' });
      await Promise.all([first, last]);
      expect(await s.count()).toBe(2);
    }));

  it('answers the gets sharing a transaction each with its own record, in the order asked', () =>
    withIdb(async (s) => {
      await s.putMany([rec('x'), rec('y')]);
      const order: string[] = [];
      await Promise.all(['x', 'nope', 'y'].map((k) => s.get(k).then((r) => order.push(r?.key ?? '-'))));
      expect(order).toEqual(['x', '-', 'y']);
    }));

  it('keeps batching under a steady stream of writes', () =>
    withIdb(async (s) => {
      const writes: Array<Promise<void>> = [];
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 10; i++) writes.push(s.put(rec(`r${round}-${i}`)));
        await Promise.resolve();
      }
      await Promise.all(writes);
      expect(s.stats().transactions).toBeLessThan(20);
      expect(await s.count()).toBe(200);
    }));
});

describe('IndexedDB storage: storage full', () => {
  it('turns a QuotaExceededError abort into StorageFullError for the whole batch; reads go on', () =>
    withIdb(async (s) => {
      await s.put(rec('before'));
      const inFlight = s.put(rec('in-flight'));
      // A later task: writes made in this one would join the in-flight transaction.
      await new Promise((r) => setTimeout(r, 0));
      s.testHooks.failNextCommit();
      const batch = await Promise.allSettled([s.put(rec('x')), s.putMeta('m', 1), s.delete('before')]);
      await expect(inFlight).resolves.toBeUndefined();
      for (const w of batch) {
        expect(w.status).toBe('rejected');
        expect((w as PromiseRejectedResult).reason).toBeInstanceOf(StorageFullError);
      }
      expect(s.stats().aborted).toBe(1);
      expect(await s.get('before')).toEqual(rec('before'));
      expect(await s.get('x')).toBeUndefined();
      expect(await s.getMeta('m')).toBeUndefined();
      // The next write is attempted normally.
      await s.put(rec('after'));
      expect(await s.count()).toBe(3);
    }));

  it('turns a QuotaExceededError thrown by put into StorageFullError', () =>
    withIdb(async (s) => {
      const restore = patch(IDBObjectStore.prototype, 'put', function (this: IDBObjectStore) {
        throw new DOMException('simulated', 'QuotaExceededError');
      } as IDBObjectStore['put']);
      try {
        await expect(s.putMany([rec('a'), rec('b')])).rejects.toBeInstanceOf(StorageFullError);
      } finally {
        restore();
      }
      expect(await s.count()).toBe(0);
      await s.put(rec('a'));
      expect(await s.count()).toBe(1);
    }));

  it('passes other abort reasons through unchanged', () =>
    withIdb(async (s) => {
      s.testHooks.failNextCommit('UnknownError');
      const err = await s.put(rec('a')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DOMException);
      expect((err as DOMException).name).toBe('UnknownError');
    }));

  it('maps a real quota refusal from Chromium to StorageFullError', async () => {
    // A fresh storage bucket with a tiny quota. Not the origin's default bucket: Chromium caches a
    // bucket's remaining space for about 30 s, so a quota lowered after IndexedDB was used (by the
    // tests above) would not bite in time.
    const buckets = (navigator as unknown as { storageBuckets: StorageBucketManager }).storageBuckets;
    const bucketName = `quota-${Date.now()}`;
    const bucket = await buckets.open(bucketName, { quota: 1024 * 1024 });
    // idb opens through the global `indexedDB`; point it at the bucket just while opening.
    // (On the global object, `indexedDB` is an own accessor: save and restore its descriptor.)
    const original = Object.getOwnPropertyDescriptor(window, 'indexedDB')!;
    Object.defineProperty(window, 'indexedDB', { value: bucket.indexedDB, configurable: true });
    let s: IdbStorage;
    try {
      s = await openIdbStorage('quota');
    } finally {
      Object.defineProperty(window, 'indexedDB', original);
    }
    try {
      await s.put(rec('small'));
      const rejection = await s.put(rec('big', 'x'.repeat(2 * 1024 * 1024))).catch((e: unknown) => e);
      expect(rejection).toBeInstanceOf(StorageFullError);
      expect((rejection as StorageFullError).cause).toMatchObject({ name: 'QuotaExceededError' });
      expect(await s.get('small')).toEqual(rec('small'));
      expect(await s.get('big')).toBeUndefined();
      await s.put(rec('small2'));
      expect(await s.count()).toBe(2);
    } finally {
      // The bucket is left in place: deleting it force-closes connections still winding down, whose
      // rejections then surface unhandled in later tests. The test browser's profile is temporary.
      await s.close();
    }
  });
});

/** The parts of the Storage Buckets API (Chromium 122+) this test uses; not yet in TypeScript's DOM lib. */
interface StorageBucketManager {
  open(name: string, options?: { quota?: number }): Promise<{ indexedDB: IDBFactory }>;
  delete(name: string): Promise<void>;
}

describe('IndexedDB storage: options and lifecycle', () => {
  for (const durability of ['strict', 'relaxed', 'default'] as const) {
    it(`opens write transactions with durability '${durability}'`, async () => {
      const seen: Array<string | undefined> = [];
      const original = IDBDatabase.prototype.transaction;
      const restore = patch(IDBDatabase.prototype, 'transaction', function (
        this: IDBDatabase,
        ...args: Parameters<IDBDatabase['transaction']>
      ) {
        if (args[1] === 'readwrite') seen.push(args[2]?.durability);
        return original.apply(this, args);
      } as IDBDatabase['transaction']);
      try {
        await withIdb(
          async (s) => {
            await s.put(rec('k'));
            expect(await s.get('k')).toEqual(rec('k'));
          },
          { durability },
        );
      } finally {
        restore();
      }
      expect(seen).toEqual([durability]);
    });
  }

  it('names databases dynamo-<room>-<nodeId>', () => {
    expect(idbName('demo', 'n1')).toBe('dynamo-demo-n1');
  });

  it('deletes a database even while a handle is open; the handle then reports closed', async () => {
    const name = freshName();
    const s = await openIdbStorage(name);
    await s.put(rec('k'));
    await deleteIdbStorage(name);
    await expect(s.get('k')).rejects.toBeInstanceOf(ClosedError);
    const t = await openIdbStorage(name);
    expect(await t.count()).toBe(0);
    await t.close();
    await deleteIdbStorage(name);
  });
});
