// IndexedDB Storage adapter (idb): one database per node, writes group-committed into few transactions.
import { deleteDB, openDB, unwrap, type DBSchema, type IDBPDatabase } from 'idb';
import {
  ClosedError,
  StorageFullError,
  type Json,
  type KeyRecord,
  type ScanPage,
  type Storage,
} from '../../ports/storage';
import { loopBusy, nextTask } from '../system/next-task';

export type Durability = 'default' | 'strict' | 'relaxed';

export interface IdbStorageOptions {
  /** The transaction durability hint; 'default' leaves it to the browser (Chromium: relaxed). */
  durability?: Durability;
}

/** Counters for benchmarks and tests; all cumulative since open. */
export interface IdbStorageStats {
  /** Write transactions started. */
  transactions: number;
  /** Write transactions that aborted (quota, fault, closed connection). */
  aborted: number;
  /** Write calls (put, putMany, delete, putMeta, deleteMeta) that reached a transaction. */
  writes: number;
  /** Of those, the ones committed in a transaction shared with other writes. */
  batchedWrites: number;
  /** The most write calls committed in one transaction. */
  maxBatch: number;
  /** Read transactions started for `get` calls, and the calls they served (several per transaction). */
  readTransactions: number;
  reads: number;
}

/** TEST ONLY: fault injection for the storage-full path. Never used by the runtime. */
export interface IdbStorageTestHooks {
  /**
   * Makes the next write transaction abort as if the browser had refused it with the named error
   * (default 'QuotaExceededError'); the abort is delivered through the real `abort` event.
   */
  failNextCommit(errorName?: string): void;
}

export interface IdbStorage extends Storage {
  stats(): IdbStorageStats;
  /** TEST ONLY. */
  readonly testHooks: IdbStorageTestHooks;
}

/**
 * The database name of one node. Note: a '-' inside room or node id makes names ambiguous
 * (room 'a-b' + node 'c' = room 'a' + node 'b-c'); callers keep ids free of '-' or accept that.
 */
export function idbName(room: string, nodeId: string): string {
  return `dynamo-${room}-${nodeId}`;
}

interface Schema extends DBSchema {
  keys: { key: string; value: KeyRecord; indexes: { 'by-partition': [number, string] } };
  meta: { key: string; value: Json };
}

const SCHEMA_VERSION = 1;

export async function openIdbStorage(dbName: string, opts: IdbStorageOptions = {}): Promise<IdbStorage> {
  // The callbacks need the adapter, which needs the db: bind them through a late reference.
  let adapter: IdbStorageImpl | undefined;
  const db = await openDB<Schema>(dbName, SCHEMA_VERSION, {
    upgrade(database) {
      const keys = database.createObjectStore('keys', { keyPath: 'key' });
      // [partition, key] so one partition's keys come back in ascending key order.
      keys.createIndex('by-partition', ['partition', 'key']);
      database.createObjectStore('meta');
    },
    // Another connection wants to delete or upgrade this database: get out of its way.
    blocking: () => void adapter?.close(),
    terminated: () => adapter?.markTerminated(),
  });
  adapter = new IdbStorageImpl(db, opts.durability ?? 'default');
  return adapter;
}

/** Deletes a node's database (wiping a replica). Open handles in this origin close themselves first. */
export async function deleteIdbStorage(dbName: string): Promise<void> {
  await deleteDB(dbName);
}

type WriteOp =
  | { kind: 'put'; record: KeyRecord }
  | { kind: 'update'; key: string; partition: number; fn: (current: KeyRecord | undefined) => Json | undefined }
  | { kind: 'delete'; key: string }
  | { kind: 'putMeta'; name: string; value: Json }
  | { kind: 'deleteMeta'; name: string };

interface PendingWrite {
  ops: WriteOp[];
  resolve: () => void;
  reject: (e: unknown) => void;
  /** Set when this write failed on its own (an update's fn threw) while its transaction went on. */
  failed?: { error: unknown };
}

/** The write transaction still taking requests: one-op writes of the same task join it. */
interface Filling {
  keys: IDBObjectStore;
  meta: IDBObjectStore;
  /** Every caller it settles; joiners add themselves. */
  members: PendingWrite[];
}

interface PendingRead {
  key: string;
  resolve: (r: KeyRecord | undefined) => void;
  reject: (e: unknown) => void;
}

// getAll's count is an unsigned long; beyond it means "no limit".
const MAX_COUNT = 2 ** 32 - 1;

class IdbStorageImpl implements IdbStorage {
  private closing = false;
  private closed: Promise<void> | undefined;
  /** The transaction being committed, if any; writes arriving meanwhile join it while it is `filling`, else wait in `queue`. */
  private flushing: Promise<void> | undefined;
  private queue: PendingWrite[] = [];
  private filling: Filling | undefined;
  private fault: string | undefined;
  private readonly counters: IdbStorageStats = {
    transactions: 0,
    aborted: 0,
    writes: 0,
    batchedWrites: 0,
    maxBatch: 0,
    readTransactions: 0,
    reads: 0,
  };
  /** `get` calls waiting for the next readonly transaction, which serves them together. */
  private readBatch: PendingRead[] | undefined;
  readonly testHooks: IdbStorageTestHooks = {
    failNextCommit: (errorName = 'QuotaExceededError') => {
      this.fault = errorName;
    },
  };

  constructor(
    private readonly db: IDBPDatabase<Schema>,
    private readonly durability: Durability,
  ) {}

  stats(): IdbStorageStats {
    return { ...this.counters };
  }

  // ---- reads: in readonly transactions, which IndexedDB orders after earlier writes.

  /**
   * Gets share one readonly transaction, opened behind the tasks already queued (next-task.ts) when
   * the event loop is busy, at the end of the current task when it is not:
   * under load a node's requests arrive one task each, and a transaction per get cost more than
   * the get. They are answered together, once the last is in: their callers' writes then come in
   * one task and share one write transaction too.
   */
  get(key: string): Promise<KeyRecord | undefined> {
    try {
      this.assertOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      if (!this.readBatch) {
        this.readBatch = [];
        // An idle tab reads at the end of this task: waiting a task would only add latency.
        (loopBusy() ? nextTask : queueMicrotask)(() => this.flushReads());
      }
      this.readBatch.push({ key, resolve, reject });
    });
  }

  private flushReads(): void {
    const batch = this.readBatch ?? [];
    this.readBatch = undefined;
    try {
      this.assertOpen();
      // The raw API: idb's promise per request adds listeners and a task hop to each get.
      const store = unwrap(this.db).transaction('keys', 'readonly').objectStore('keys');
      this.counters.readTransactions++;
      this.counters.reads += batch.length;
      this.readAll(store, batch);
    } catch (e) {
      for (const r of batch) r.reject(this.translate(e));
    }
  }

  private readAll(store: IDBObjectStore, batch: PendingRead[]): void {
    const results: Array<{ ok: true; record: KeyRecord | undefined } | { ok: false; error: unknown }> = [];
    let left = batch.length;
    const answered = () => {
      if (--left > 0) return;
      batch.forEach((r, i) => {
        const res = results[i]!;
        if (res.ok) r.resolve(res.record);
        else r.reject(res.error);
      });
    };
    batch.forEach((r, i) => {
      const req = store.get(r.key) as IDBRequest<KeyRecord | undefined>;
      req.onsuccess = () => {
        results[i] = { ok: true, record: req.result };
        answered();
      };
      req.onerror = (ev) => {
        // One failed get must not abort the others' transaction.
        ev.preventDefault();
        results[i] = { ok: false, error: this.translate(req.error) };
        answered();
      };
    });
  }

  scanPartition(partition: number, opts: { after?: string; limit?: number } = {}): Promise<ScanPage> {
    const limit = opts.limit ?? Infinity;
    if (!(limit >= 1)) return Promise.reject(new RangeError(`scan limit must be >= 1, got ${limit}`));
    return this.read(async () => {
      // Arrays sort after strings, so [partition, []] bounds every key of the partition from above.
      const range = IDBKeyRange.bound([partition, opts.after ?? ''], [partition, []], opts.after !== undefined);
      // One extra record tells whether another page exists without a second round trip.
      const count = limit + 1 > MAX_COUNT ? undefined : Math.floor(limit) + 1;
      const found = await this.db.getAllFromIndex('keys', 'by-partition', range, count);
      const records = found.slice(0, limit);
      const more = found.length > records.length;
      return { records, next: more ? records[records.length - 1]?.key : undefined };
    });
  }

  count(): Promise<number> {
    return this.read(() => this.db.count('keys'));
  }

  getMeta(name: string): Promise<Json | undefined> {
    return this.read(() => this.db.get('meta', name));
  }

  listMeta(prefix: string): Promise<Array<{ name: string; value: Json }>> {
    return this.read(async () => {
      const tx = this.db.transaction('meta');
      const range = prefixRange(prefix);
      const [names, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range), tx.done]);
      return names.map((name, i) => ({ name, value: values[i] as Json }));
    });
  }

  private async read<T>(op: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await op();
    } catch (e) {
      throw this.translate(e);
    }
  }

  // ---- writes: group commit.

  put(record: KeyRecord): Promise<void> {
    return this.write([{ kind: 'put', record }]);
  }

  putMany(records: KeyRecord[]): Promise<void> {
    return this.write(records.map((record) => ({ kind: 'put', record })));
  }

  /** The get and the put in the write transaction: one round trip to the storage process, not two. */
  update(key: string, partition: number, fn: (current: KeyRecord | undefined) => Json | undefined): Promise<void> {
    return this.write([{ kind: 'update', key, partition, fn }]);
  }

  delete(key: string): Promise<void> {
    return this.write([{ kind: 'delete', key }]);
  }

  putMeta(name: string, value: Json): Promise<void> {
    return this.write([{ kind: 'putMeta', name, value }]);
  }

  deleteMeta(name: string): Promise<void> {
    return this.write([{ kind: 'deleteMeta', name }]);
  }

  /**
   * A write with nothing in flight starts its transaction at once, and one-op writes made later in
   * the same task join it (IndexedDB clones the values synchronously, either way). Otherwise a
   * write waits for the in-flight transaction and then commits together with every other write that
   * arrived meanwhile; it is cloned now, so the caller may reuse its objects.
   */
  private write(ops: WriteOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.assertOpen();
      const pending: PendingWrite = { ops, resolve, reject };
      if (this.join(pending)) return;
      if (this.flushing === undefined) return this.start([pending]);
      // A value that cannot be cloned fails its own caller here, not the whole group later. An
      // update's value is made (and cloned) inside its transaction.
      pending.ops = ops.map((op) => (op.kind === 'update' ? op : structuredClone(op)));
      this.queue.push(pending);
    });
  }

  /**
   * Adds a one-op write to the transaction being filled, if it still takes requests (until the
   * task that opened it ends). Several ops are never joined: one failing halfway would leave the
   * others in a transaction that commits. True when the write was taken (or failed on its own).
   */
  private join(pending: PendingWrite): boolean {
    const group = this.filling;
    const op = pending.ops[0];
    // Never ahead of a write already waiting: writes commit in the order they were made.
    if (group === undefined || this.queue.length > 0 || pending.ops.length !== 1 || op === undefined) return false;
    try {
      apply(group.keys, group.meta, op, pending);
    } catch (e) {
      if (isDomError(e, 'TransactionInactiveError')) {
        this.filling = undefined;
        return false;
      }
      // No request was made (e.g. DataCloneError): the transaction and its other writes go on.
      pending.reject(this.translate(e));
      return true;
    }
    group.members.push(pending);
    return true;
  }

  private start(batch: PendingWrite[]): void {
    this.counters.transactions++;
    this.flushing = this.commit(batch);
  }

  /** Runs one transaction for the batch (and its joiners), settles every caller with its outcome. Never rejects. */
  private async commit(batch: PendingWrite[]): Promise<void> {
    let failure: { error: unknown } | undefined;
    try {
      await this.transact(batch);
    } catch (e) {
      this.counters.aborted++;
      failure = { error: this.translate(e) };
    }
    if (this.filling?.members === batch) this.filling = undefined;
    this.tally(batch.length);
    // Hand over to the next group before waking callers: a caller's follow-up write then starts
    // its own transaction at once instead of queueing behind a transaction that is already done.
    const next = this.queue.splice(0);
    this.flushing = undefined;
    if (next.length > 0) this.start(next);
    for (const w of batch) {
      if (failure) w.reject(failure.error);
      else if (w.failed) w.reject(w.failed.error);
      else w.resolve();
    }
  }

  private tally(batchSize: number): void {
    this.counters.writes += batchSize;
    if (batchSize > 1) this.counters.batchedWrites += batchSize;
    this.counters.maxBatch = Math.max(this.counters.maxBatch, batchSize);
  }

  /**
   * The raw IDB API, not idb's wrappers: idb's `tx.done` settles on the first request `error`, before
   * `tx.error` carries the reason (e.g. QuotaExceededError), and its per-request promises would
   * become unhandled rejections when the transaction aborts.
   */
  private async transact(batch: PendingWrite[]): Promise<void> {
    const tx = unwrap(this.db).transaction(['keys', 'meta'], 'readwrite', { durability: this.durability });
    const done = settled(tx);
    try {
      const keys = tx.objectStore('keys');
      const meta = tx.objectStore('meta');
      for (const w of batch) for (const op of w.ops) apply(keys, meta, op, w);
      this.injectFault(tx, meta);
      this.filling = { keys, meta, members: batch };
    } catch (e) {
      // A synchronous failure (e.g. DataCloneError) must not commit the half-applied batch.
      done.catch(() => undefined);
      abortQuietly(tx);
      throw e;
    }
    await done;
  }

  private injectFault(tx: IDBTransaction, meta: IDBObjectStore): void {
    if (this.fault === undefined) return;
    const error = new DOMException(`simulated ${this.fault}`, this.fault);
    this.fault = undefined;
    // Aborted from a request's callback, after the task that opened it: writes joining it meanwhile
    // fail with it, as they would if the browser refused the commit.
    meta.count().onsuccess = () => {
      // tx.error is a read-only getter; shadow it so the abort looks exactly like the browser's.
      Object.defineProperty(tx, 'error', { value: error });
      tx.abort();
    };
  }

  private translate(e: unknown): unknown {
    if (isQuotaError(e)) return new StorageFullError('IndexedDB quota exceeded', { cause: e });
    if (this.closing && isDomError(e, 'InvalidStateError')) return new ClosedError('storage is closed');
    return e;
  }

  // ---- lifecycle.

  private assertOpen(): void {
    if (this.closing) throw new ClosedError('storage is closed');
  }

  /** Lets accepted writes commit, then closes the connection. Idempotent. */
  close(): Promise<void> {
    this.closing = true;
    this.closed ??= this.drainAndClose();
    return this.closed;
  }

  private async drainAndClose(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    this.db.close();
  }

  /** The browser dropped the connection (storage cleared, disk error): nothing more can succeed. */
  markTerminated(): void {
    this.closing = true;
  }
}

function apply(keys: IDBObjectStore, meta: IDBObjectStore, op: WriteOp, owner: PendingWrite): void {
  switch (op.kind) {
    case 'put':
      keys.put(op.record);
      return;
    case 'update': {
      const req = keys.get(op.key) as IDBRequest<KeyRecord | undefined>;
      // Still inside the transaction: the put joins it. A throwing fn (or a value that cannot be
      // cloned) writes nothing and fails only its own caller; the other writes commit.
      req.onsuccess = () => {
        try {
          const value = op.fn(req.result);
          if (value !== undefined) keys.put({ key: op.key, partition: op.partition, value });
        } catch (error) {
          owner.failed = { error };
        }
      };
      return;
    }
    case 'delete':
      keys.delete(op.key);
      return;
    case 'putMeta':
      meta.put(op.value, op.name);
      return;
    case 'deleteMeta':
      meta.delete(op.name);
      return;
  }
}

/**
 * Settles on `complete` or `abort` only. A failing request fires `error` first, but the transaction
 * then aborts with that same error in `tx.error`, so waiting for `abort` loses nothing.
 */
function settled(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('abort', () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError')));
  });
}

function abortQuietly(tx: IDBTransaction): void {
  try {
    tx.abort();
  } catch {
    // Already finished or aborted: nothing to undo.
  }
}

/** Names strictly within `prefix`: from the prefix itself up to the first string that no longer starts with it. */
function prefixRange(prefix: string): IDBKeyRange {
  const stem = prefix.replace(/\uffff+$/, '');
  if (stem === '') return IDBKeyRange.lowerBound(prefix);
  const upper = stem.slice(0, -1) + String.fromCharCode(stem.charCodeAt(stem.length - 1) + 1);
  return IDBKeyRange.bound(prefix, upper, false, true);
}

function isQuotaError(e: unknown): boolean {
  return isDomError(e, 'QuotaExceededError');
}

// Duck-typed: Chromium's QuotaExceededError is its own DOMException subclass, and tests synthesize one.
function isDomError(e: unknown, name: string): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === name;
}
