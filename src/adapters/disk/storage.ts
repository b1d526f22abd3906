// The Storage port on a real disk engine (LevelDB via classic-level), for Node replicas (paper §5: a
// pluggable local persistence engine). Writes are group-committed: every write that arrives while a
// batch is being made durable joins the next one, and each resolves only once its batch was written
// with `sync: true` (fsync), so a `kill -9` loses nothing that was acknowledged.
//
// Public API
//   openDiskStorage(dir, opts?) -> Promise<DiskStorage>   creates dir if needed; DataDirError if it is
//                                                          unwritable or held by another process
//   DiskStorage: Storage + stats()
//
// Layout (binary keys, so byte order is the port's UTF-16 code unit order, as JS `<` and IndexedDB):
//   'k' + utf16be(key)                      -> JSON of { p: partition, v: value }
//   'p' + partition (u32 BE) + utf16be(key) -> ''     the partition index that scans walk
//   'm' + utf16be(name)                     -> JSON of the metadata value
//   'c'                                     -> the number of key records, in the batch that changes it
// One process owns a directory (LevelDB's lock), so this handle is the only writer: it knows the key
// count and reads a key's old partition before moving it.

import { mkdirSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { ClosedError, StorageFullError, updateByGetPut, type Json, type KeyRecord, type ScanPage, type Storage } from '../../ports/storage';

/** The data directory cannot be used: unwritable, not a directory, or open in another process. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

export interface DiskStorageStats {
  /** Durable batches written, the writes they carried, and the most writes in one. */
  batches: number;
  writes: number;
  maxBatch: number;
}

export interface DiskStorage extends Storage {
  stats(): DiskStorageStats;
}

type Db = ClassicLevel<Buffer, string>;
type Op = { type: 'put'; key: Buffer; value: string } | { type: 'del'; key: Buffer };

/** A write waiting for the next batch: `ops` builds its operations once the batch is being made. */
interface Pending {
  ops: (batch: BatchBuilder) => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export async function openDiskStorage(dir: string, opts: { sync?: boolean } = {}): Promise<DiskStorage> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DataDirError(`data directory ${dir} cannot be created: ${(err as Error).message}`);
  }
  const db: Db = new ClassicLevel<Buffer, string>(dir, { keyEncoding: 'buffer', valueEncoding: 'utf8' });
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') throw new DataDirError(`data directory ${dir} is in use by another process`);
    throw new DataDirError(`data directory ${dir} cannot be opened: ${cause?.message ?? (err as Error).message}`);
  }
  let count = Number(await db.get(COUNT));
  if (!Number.isSafeInteger(count) || count < 0) {
    count = 0;
    for await (const _ of db.keys({ gte: K, lt: K_END })) count++;
  }
  return new LevelStorage(db, count, opts.sync ?? true);
}

/** The key count, rewritten in every batch that changes it (so count() reads what is durable). */
const COUNT = Buffer.from('c');
const K = Buffer.from('k');
const K_END = Buffer.from('l');
const P = 'p'.charCodeAt(0);
const M = Buffer.from('m');

function utf16be(s: string): Buffer {
  const b = Buffer.allocUnsafe(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return b;
}
function fromUtf16be(b: Buffer, start: number): string {
  let s = '';
  for (let i = start; i + 1 < b.length; i += 2) s += String.fromCharCode(b.readUInt16BE(i));
  return s;
}
const recordKey = (key: string): Buffer => Buffer.concat([K, utf16be(key)]);
const metaKey = (name: string): Buffer => Buffer.concat([M, utf16be(name)]);
function partitionPrefix(partition: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = P;
  b.writeUInt32BE(partition, 1);
  return b;
}
const indexKey = (partition: number, key: string): Buffer => Buffer.concat([partitionPrefix(partition), utf16be(key)]);
/** The smallest buffer greater than every buffer that starts with `prefix`. */
function after(prefix: Buffer): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] !== 0xff) {
      b[i] = (b[i] as number) + 1;
      return b.subarray(0, i + 1);
    }
  }
  return Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

/** JSON text of a value that is plain JSON all the way down; throws otherwise (nothing is written). */
function jsonText(value: unknown): string {
  const walk = (v: unknown, depth: number): void => {
    if (depth > 1000) throw new TypeError('storage: value nested too deeply');
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError('storage: a number that JSON cannot hold');
      return;
    }
    if (Array.isArray(v)) return v.forEach((x) => walk(x, depth + 1));
    const proto: unknown = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`storage: not a JSON value (${typeof v})`);
    for (const k of Object.keys(v as object)) walk((v as Record<string, unknown>)[k], depth + 1);
  };
  walk(value, 0);
  return JSON.stringify(value);
}

/** Builds one durable batch; tracks keys it touched, so later writes in it see earlier ones. */
class BatchBuilder {
  readonly ops: Op[] = [];
  /** Key -> partition after this batch (undefined: deleted), for keys written in it. */
  readonly touched = new Map<string, number | undefined>();
  /** Keys this batch touched that existed before it: with `touched`, the change in the key count. */
  private readonly existed = new Set<string>();
  constructor(private readonly db: Db) {}

  countDelta(): number {
    let d = 0;
    for (const [key, p] of this.touched) d += (p !== undefined ? 1 : 0) - (this.existed.has(key) ? 1 : 0);
    return d;
  }

  private async partitionOf(key: string): Promise<number | undefined> {
    if (this.touched.has(key)) return this.touched.get(key);
    const raw = await this.db.get(recordKey(key));
    if (raw === undefined) return undefined;
    this.existed.add(key);
    return (JSON.parse(raw) as { p: number }).p;
  }

  async put(record: KeyRecord, text: string): Promise<void> {
    const old = await this.partitionOf(record.key);
    if (old !== undefined && old !== record.partition) this.ops.push({ type: 'del', key: indexKey(old, record.key) });
    this.ops.push({ type: 'put', key: recordKey(record.key), value: text });
    this.ops.push({ type: 'put', key: indexKey(record.partition, record.key), value: '' });
    this.touched.set(record.key, record.partition);
  }

  async delete(key: string): Promise<void> {
    const old = await this.partitionOf(key);
    if (old === undefined) return;
    this.ops.push({ type: 'del', key: recordKey(key) }, { type: 'del', key: indexKey(old, key) });
    this.touched.set(key, undefined);
  }
}

class LevelStorage implements DiskStorage {
  private closed = false;
  private queue: Pending[] = [];
  private flushing = false;
  private reading = 0;
  private readonly counters: DiskStorageStats = { batches: 0, writes: 0, maxBatch: 0 };

  constructor(
    private readonly db: Db,
    private keyCount: number,
    private readonly sync: boolean,
  ) {}

  stats(): DiskStorageStats {
    return { ...this.counters };
  }

  // Async methods reject (never throw synchronously) once closed, like IndexedDB.
  private check(): void {
    if (this.closed) throw new ClosedError('storage is closed');
  }

  /** Runs a read; close() waits for the reads in flight, so none meets a closed database. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    this.reading++;
    try {
      return await fn();
    } finally {
      this.reading--;
    }
  }

  get(key: string): Promise<KeyRecord | undefined> {
    return this.read(async () => {
      const raw = await this.db.get(recordKey(key));
      if (raw === undefined) return undefined;
      const { p, v } = JSON.parse(raw) as { p: number; v: Json };
      return { key, partition: p, value: v };
    });
  }

  async put(record: KeyRecord): Promise<void> {
    await this.putMany([record]);
  }

  /** A get, then a put in the next group commit: callers serialize updates of one key (replica.ts). */
  update(key: string, partition: number, fn: (current: KeyRecord | undefined) => Json | undefined): Promise<void> {
    return updateByGetPut(this, key, partition, fn);
  }

  async putMany(records: KeyRecord[]): Promise<void> {
    this.check();
    // Serialize (and so validate) every record first: one that cannot be stored writes nothing.
    const texts = records.map((r) => jsonText({ p: r.partition, v: r.value }));
    if (records.length === 0) return;
    await this.write(async (b) => {
      for (let i = 0; i < records.length; i++) await b.put(records[i] as KeyRecord, texts[i] as string);
    });
  }

  async delete(key: string): Promise<void> {
    this.check();
    await this.write((b) => b.delete(key));
  }

  scanPartition(partition: number, opts: { after?: string; limit?: number } = {}): Promise<ScanPage> {
    return this.read(() => this.scan(partition, opts));
  }

  private async scan(partition: number, opts: { after?: string; limit?: number }): Promise<ScanPage> {
    const limit = opts.limit ?? Infinity;
    if (!(limit >= 1)) throw new RangeError(`scan limit must be >= 1, got ${limit}`);
    const prefix = partitionPrefix(partition);
    const range = opts.after === undefined ? { gte: prefix } : { gt: Buffer.concat([prefix, utf16be(opts.after)]) };
    const keys: string[] = [];
    // One more than asked for, to know whether a next page exists.
    const want = Number.isFinite(limit) ? limit + 1 : undefined;
    for await (const k of this.db.keys({ ...range, lt: after(prefix), ...(want ? { limit: want } : {}) })) keys.push(fromUtf16be(k, 5));
    const page = keys.slice(0, Number.isFinite(limit) ? limit : keys.length);
    const raws = await this.db.getMany(page.map(recordKey));
    const records: KeyRecord[] = [];
    page.forEach((key, i) => {
      const raw = raws[i];
      if (raw !== undefined) records.push({ key, partition, value: (JSON.parse(raw) as { v: Json }).v });
    });
    return { records, next: keys.length > page.length ? page[page.length - 1] : undefined };
  }

  count(): Promise<number> {
    return this.read(async () => Number((await this.db.get(COUNT)) ?? 0));
  }

  getMeta(name: string): Promise<Json | undefined> {
    return this.read(async () => {
      const raw = await this.db.get(metaKey(name));
      return raw === undefined ? undefined : (JSON.parse(raw) as Json);
    });
  }

  async putMeta(name: string, value: Json): Promise<void> {
    this.check();
    const text = jsonText(value);
    await this.write(async (b) => void b.ops.push({ type: 'put', key: metaKey(name), value: text }));
  }

  async deleteMeta(name: string): Promise<void> {
    this.check();
    await this.write(async (b) => void b.ops.push({ type: 'del', key: metaKey(name) }));
  }

  listMeta(prefix: string): Promise<Array<{ name: string; value: Json }>> {
    return this.read(async () => {
      const from = metaKey(prefix);
      const out: Array<{ name: string; value: Json }> = [];
      for await (const [k, v] of this.db.iterator({ gte: from, lt: after(from) })) out.push({ name: fromUtf16be(k, 1), value: JSON.parse(v) as Json });
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing || this.queue.length > 0 || this.reading > 0) await new Promise<void>((r) => setImmediate(r));
    await this.db.close();
  }

  /** Queues a write for the next durable batch; resolves once that batch is on disk. */
  private write(ops: Pending['ops']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const writes = this.queue;
      this.queue = [];
      try {
        const b = new BatchBuilder(this.db);
        for (const w of writes) await w.ops(b);
        const delta = b.countDelta();
        if (delta !== 0) b.ops.push({ type: 'put', key: COUNT, value: String(this.keyCount + delta) });
        await this.db.batch(b.ops, { sync: this.sync });
        this.keyCount += delta;
        this.counters.batches++;
        this.counters.writes += writes.length;
        this.counters.maxBatch = Math.max(this.counters.maxBatch, writes.length);
        for (const w of writes) w.resolve();
      } catch (err) {
        const e = storageError(err);
        for (const w of writes) w.reject(e);
      }
    }
    this.flushing = false;
  }
}

/** A full disk is the port's StorageFullError; anything else passes through. */
function storageError(err: unknown): unknown {
  const text = `${(err as Error)?.message ?? ''} ${(err as { cause?: Error })?.cause?.message ?? ''}`;
  return /no space left|ENOSPC|disk full/i.test(text) ? new StorageFullError(`disk full: ${text.trim()}`) : err;
}
