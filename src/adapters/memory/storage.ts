// In-memory Storage adapter: for unit tests and the simulator (a backing survives simulated restarts).
import { ClosedError, type Json, type KeyRecord, type ScanPage, type Storage } from '../../ports/storage';

/**
 * The data a node keeps across a simulated crash. Each `open()` is a fresh handle onto the same maps,
 * so the simulator can drop one handle and reopen the node with its data intact. Opening retires the
 * previous handle: like a dead process, a crashed node's leftover callbacks can no longer write.
 */
export class MemoryStorageBacking {
  readonly keys = new Map<string, KeyRecord>();
  readonly meta = new Map<string, Json>();
  private current: MemoryStorage | undefined;

  open(): Storage {
    void this.current?.close();
    this.current = new MemoryStorage(this);
    return this.current;
  }
}

/** A store with its own private backing. */
export function memoryStorage(): Storage {
  return new MemoryStorageBacking().open();
}

// Copies on the way in and out so no caller can mutate stored state behind the store's back,
// just as with a real database.
const copy = <T>(v: T): T => structuredClone(v);

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

class MemoryStorage implements Storage {
  private closed = false;

  constructor(private readonly backing: MemoryStorageBacking) {}

  // Every method is async so a closed store rejects (never throws synchronously), like IndexedDB.
  private check(): void {
    if (this.closed) throw new ClosedError('storage is closed');
  }

  async get(key: string): Promise<KeyRecord | undefined> {
    this.check();
    const r = this.backing.keys.get(key);
    return r === undefined ? undefined : copy(r);
  }

  async put(record: KeyRecord): Promise<void> {
    this.check();
    this.backing.keys.set(record.key, copy(record));
  }

  async putMany(records: KeyRecord[]): Promise<void> {
    this.check();
    // Clone everything first: if one clone throws, nothing has been written (atomic batch).
    const copies = records.map(copy);
    for (const r of copies) this.backing.keys.set(r.key, r);
  }

  async delete(key: string): Promise<void> {
    this.check();
    this.backing.keys.delete(key);
  }

  async scanPartition(partition: number, opts: { after?: string; limit?: number } = {}): Promise<ScanPage> {
    this.check();
    const limit = opts.limit ?? Infinity;
    if (!(limit >= 1)) throw new RangeError(`scan limit must be >= 1, got ${limit}`);
    const after = opts.after;
    const matching = [...this.backing.keys.values()]
      .filter((r) => r.partition === partition && (after === undefined || r.key > after))
      .sort((a, b) => byString(a.key, b.key));
    const records = matching.slice(0, limit).map(copy);
    const more = matching.length > records.length;
    return { records, next: more ? records[records.length - 1]?.key : undefined };
  }

  async count(): Promise<number> {
    this.check();
    return this.backing.keys.size;
  }

  async getMeta(name: string): Promise<Json | undefined> {
    this.check();
    const v = this.backing.meta.get(name);
    return v === undefined ? undefined : copy(v);
  }

  async putMeta(name: string, value: Json): Promise<void> {
    this.check();
    this.backing.meta.set(name, copy(value));
  }

  async deleteMeta(name: string): Promise<void> {
    this.check();
    this.backing.meta.delete(name);
  }

  async listMeta(prefix: string): Promise<Array<{ name: string; value: Json }>> {
    this.check();
    return [...this.backing.meta.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => byString(a, b))
      .map(([name, value]) => ({ name, value: copy(value) }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
