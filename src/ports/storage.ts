// Storage port: a node's durable state — per-key version records, indexed by ring partition,
// plus small metadata records (node id, membership view, hints).
//
// Adapters: memory and IndexedDB (one database per node: `dynamo-<room>-<nodeId>`). Every write
// resolves only once it is durable (for IndexedDB: the transaction's `complete` event).

export { StorageFullError, ClosedError } from './errors';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One key's stored state. `value` is the core's serialized sibling set; storage never looks inside. */
export interface KeyRecord {
  key: string;
  /** The ring partition the key hashes to; lets anti-entropy and handoff scan one partition. */
  partition: number;
  value: Json;
}

export interface ScanPage {
  records: KeyRecord[];
  /** Pass back as `after` to continue; undefined when the partition is exhausted. */
  next: string | undefined;
}

export interface Storage {
  get(key: string): Promise<KeyRecord | undefined>;
  /** Writes one record atomically. */
  put(record: KeyRecord): Promise<void>;
  /**
   * Read-modify-write of one key: `fn` gets the record as stored (undefined if none) and returns the
   * value to store, or undefined to store nothing. Durable when it resolves, like put. An error thrown
   * by fn rejects this call only, with nothing written. fn sees every write that resolved before the
   * call (not necessarily one still in flight): callers serialize the writes of one key (replica.ts
   * does). An adapter may run fn inside its write transaction, so fn must be synchronous
   * and quick. Why in the port: a replica write is a read and a write, and IndexedDB does both in one
   * transaction (one round trip to the browser's storage process instead of two).
   */
  update(key: string, partition: number, fn: (current: KeyRecord | undefined) => Json | undefined): Promise<void>;
  /** Writes all records in one atomic batch. */
  putMany(records: KeyRecord[]): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys of one partition in ascending key order, strictly after `after`, at most `limit` of them. */
  scanPartition(partition: number, opts?: { after?: string; limit?: number }): Promise<ScanPage>;
  /** Number of key records held. */
  count(): Promise<number>;

  getMeta(name: string): Promise<Json | undefined>;
  putMeta(name: string, value: Json): Promise<void>;
  deleteMeta(name: string): Promise<void>;
  /** Metadata records whose name starts with `prefix`, in ascending name order. */
  listMeta(prefix: string): Promise<Array<{ name: string; value: Json }>>;

  /** Releases the store; later calls reject with ClosedError. Data stays. */
  close(): Promise<void>;
}

/** `update` for an adapter with no transaction to put it in: a get, then a put if fn asks for one. */
export async function updateByGetPut(
  storage: Pick<Storage, 'get' | 'put'>,
  key: string,
  partition: number,
  fn: (current: KeyRecord | undefined) => Json | undefined,
): Promise<void> {
  const value = fn(await storage.get(key));
  if (value !== undefined) await storage.put({ key, partition, value });
}

/**
 * `storage` with some methods replaced and the rest passed through: the one list of the port's methods
 * that decorators (tracked writes, the simulator's mutants and faults) would otherwise each repeat.
 */
export function overriding(storage: Storage, over: Partial<Storage>): Storage {
  const s = storage;
  return {
    get: (k) => s.get(k),
    put: (r) => s.put(r),
    update: (k, p, fn) => s.update(k, p, fn),
    putMany: (rs) => s.putMany(rs),
    delete: (k) => s.delete(k),
    scanPartition: (p, o) => s.scanPartition(p, o),
    count: () => s.count(),
    getMeta: (n) => s.getMeta(n),
    putMeta: (n, v) => s.putMeta(n, v),
    deleteMeta: (n) => s.deleteMeta(n),
    listMeta: (p) => s.listMeta(p),
    close: () => s.close(),
    ...over,
  };
}
