// The Storage port over two Maps: its reference implementation, shared by the memory adapter and the
// simulator (both may import ports/, never each other, so it lives here once rather than twice).
//
// Public API:
//   new MapStorageBacking()     a node's "disk": `keys` and `meta` maps, readable by checkers
//   backing.open()              -> Storage; retires the previous handle (a crashed process cannot write)
//   backing.retire()            closes the current handle without opening a new one (a crash)
//
// Every method resolves through microtasks only, never a real timer, so the simulator's microtask
// barrier sees every reaction, and a write is applied when it is called (nothing can be half-written
// when a crash retires the handle).

import { ClosedError, updateByGetPut, type Json, type KeyRecord, type ScanPage, type Storage } from './storage';

export class MapStorageBacking {
  readonly keys = new Map<string, KeyRecord>();
  readonly meta = new Map<string, Json>();
  private current: MapStorage | undefined;

  open(): Storage {
    this.retire();
    this.current = new MapStorage(this);
    return this.current;
  }

  retire(): void {
    this.current?.retire();
    this.current = undefined;
  }
}

// Copies on the way in and out: no caller can mutate stored state behind the store's back.
// Plain JSON is copied by hand, not by structuredClone: the simulator copies every sibling set it
// reads or writes, and structuredClone's serialize/deserialize round trip was its largest cost.
// Anything else still goes through structuredClone, so what cannot be stored (a function) throws.
function copy<T>(v: T): T {
  if (typeof v === 'function' || typeof v === 'symbol') return structuredClone(v);
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i] as unknown);
    return out as T;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const value = copy((v as Record<string, unknown>)[k]);
    // Assigning "__proto__" would set the prototype; JSON.parse (and structuredClone) make it a key.
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out as T;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

class MapStorage implements Storage {
  private closed = false;

  constructor(private readonly backing: MapStorageBacking) {}

  retire(): void {
    this.closed = true;
  }

  // Async methods: a closed store rejects (never throws synchronously), like IndexedDB.
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

  update(key: string, partition: number, fn: (current: KeyRecord | undefined) => Json | undefined): Promise<void> {
    return updateByGetPut(this, key, partition, fn);
  }

  async putMany(records: KeyRecord[]): Promise<void> {
    this.check();
    const copies = records.map(copy); // all clones first: a failing clone writes nothing (atomic)
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
    return { records, next: matching.length > records.length ? records[records.length - 1]?.key : undefined };
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
