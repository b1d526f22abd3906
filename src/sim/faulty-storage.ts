// A disk that misbehaves (issue 17, item 1; TigerBeetle's VOPR testing storage): the Storage port
// with per-operation latency on the virtual clock, latency spikes, failing reads, a disk that fills
// for a while, and crashes that lose the writes still in flight or tear a batch.
//
// Public API:
//   new FaultyBacking(clock, rng, faults?, observe?)   a node's "disk" (a MapStorageBacking: the
//                                                       checkers read `keys` and `meta` as before)
//   backing.faults                                     the current StorageFaults (mutable)
//   backing.calm()                                     the disk recovers: no errors, spikes or full windows
//   backing.armed                                      errors (not latency) only while true
//   backing.fill(untilMs)                              writes fail with StorageFullError until then
//   backing.inFlight()                                 operations queued and not yet done
//   NO_STORAGE_FAULTS, SimReadError
//
// The model. Every operation joins one FIFO queue and completes at max(the previous one's
// completion, now + its latency): IndexedDB orders transactions over the same store, so a read sees
// every write issued before it, and a write becomes durable (lands in `keys`/`meta`) only when its
// turn comes, and only then does its promise resolve. A crash (retire) makes a prefix of the queued
// writes durable and loses the rest, as a write-ahead log would; with `tornBatches` the first lost
// write, if a putMany, keeps a prefix of its records. Real adapters never do that (IndexedDB and
// LevelDB batches are atomic, and the core does not even use putMany), so torn batches are a stress,
// off unless a profile asks: they test "never acknowledge what is not durable", never a real disk.
// Reads that fail reject with SimReadError and change nothing; a full disk rejects writes (put,
// putMany, putMeta) with StorageFullError and keeps reads and deletes working, as a quota does.
//
// Why errors wait for `armed`: a node whose start-up reads fail never serves (a tab that fails to
// open IndexedDB shows an error), which the cluster cannot model; the harness arms a disk once its
// node is up and retries a restart that failed.
//
// Records are not copied on the way in: the write runs later than the call, and the core never
// mutates a set it handed to storage (they are readonly), so the snapshot would only cost time.

import { updateByGetPut, type Json, type KeyRecord, type ScanPage, type Storage } from '../ports/storage';
import { ClosedError, StorageFullError } from '../ports/errors';
import { MapStorageBacking } from '../ports/memory-storage';
import type { VirtualClock } from './clock';
import type { SeededRandom } from './random';

export interface StorageFaults {
  /** Latency of an operation, uniform in [min, max] virtual ms. */
  readMs: [number, number];
  writeMs: [number, number];
  /** Chance an operation takes `spikeMs` longer (a stalled disk: everything behind it waits). */
  spikeRate: number;
  spikeMs: number;
  /** Chance a read (get, scan, count, getMeta, listMeta) rejects with SimReadError. */
  readErrorRate: number;
  /** At a crash, the chance each queued write (in order, stopping at the first loss) became durable. */
  durableAtCrash: number;
  /** A lost putMany at a crash keeps a random prefix of its records. */
  tornBatches: boolean;
}

export const NO_STORAGE_FAULTS: StorageFaults = {
  readMs: [0, 0],
  writeMs: [0, 0],
  spikeRate: 0,
  spikeMs: 0,
  readErrorRate: 0,
  durableAtCrash: 0,
  tornBatches: false,
};

/** A read the disk could not serve (an I/O error, an aborted transaction). */
export class SimReadError extends Error {
  override readonly name = 'SimReadError';
}

/** Called for every write that became durable: what checkers watch (dots.ts). */
export type WriteObserver = (w: { kind: 'key'; record: KeyRecord } | { kind: 'meta'; name: string; value: Json }) => void;

interface Op {
  /** Runs the operation against the real store; for writes, `records` lists what it writes. */
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  write?: Write;
}

type Write = { kind: 'put'; records: KeyRecord[] } | { kind: 'meta'; name: string; value: Json } | { kind: 'other' };

export class FaultyBacking extends MapStorageBacking {
  armed = false;
  private fullUntil = -Infinity;
  private handle: FaultyStorage | undefined;

  constructor(
    readonly clock: VirtualClock,
    readonly rng: SeededRandom,
    public faults: StorageFaults = NO_STORAGE_FAULTS,
    readonly observe?: WriteObserver,
  ) {
    super();
  }

  override open(): Storage {
    const inner = super.open();
    this.handle = new FaultyStorage(inner, this);
    return this.handle;
  }

  override retire(): void {
    this.handle?.crash();
    this.handle = undefined;
    super.retire();
  }

  fill(untilMs: number): void {
    this.fullUntil = Math.max(this.fullUntil, untilMs);
  }

  isFull(): boolean {
    return this.armed && this.clock.now() < this.fullUntil;
  }

  /** Heals the disk: no more errors, spikes or full windows (its ordinary latency stays). */
  calm(): void {
    this.faults = { ...this.faults, readErrorRate: 0, spikeRate: 0 };
    this.fullUntil = -Infinity;
  }

  inFlight(): number {
    return this.handle?.queued() ?? 0;
  }
}

class FaultyStorage implements Storage {
  private readonly queue = new Set<Op>();
  private tail = 0;
  private closed = false;
  private readonly fire = (op: Op): void => {
    if (!this.queue.delete(op)) return; // lost in a crash
    op.run().then(op.resolve, op.reject);
  };

  constructor(
    private readonly inner: Storage,
    private readonly b: FaultyBacking,
  ) {}

  queued(): number {
    return this.queue.size;
  }

  /**
   * The crash: a prefix of the queued writes became durable, the rest are lost. No queued promise
   * ever settles: the process that awaited them is gone (a rejection would run its handlers).
   */
  crash(): void {
    const f = this.b.faults;
    let durable = true;
    for (const op of this.queue) {
      if (!op.write) continue;
      if (durable && this.b.rng.chance(f.durableAtCrash)) {
        op.run().catch(() => undefined);
        continue;
      }
      if (durable && f.tornBatches && op.write.kind === 'put' && op.write.records.length > 1) {
        const keep = op.write.records.slice(0, this.b.rng.int(op.write.records.length));
        void this.inner.putMany(keep).then(() => this.observeRecords(keep), () => undefined);
      }
      durable = false;
    }
    this.queue.clear();
    this.closed = true;
  }

  private latency(range: [number, number]): number {
    const f = this.b.faults;
    const [lo, hi] = range;
    const base = hi > lo ? lo + this.b.rng.int(hi - lo + 1) : lo;
    return f.spikeRate > 0 && this.b.rng.chance(f.spikeRate) ? base + f.spikeMs : base;
  }

  private enqueue<T>(range: [number, number], run: () => Promise<T>, write?: Write): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError('storage is closed'));
    const lat = this.latency(range);
    // Nothing ahead and no latency: run now, as the plain memory store would (and as fast).
    if (lat === 0 && this.queue.size === 0) return run();
    const now = this.b.clock.now();
    const at = Math.max(this.tail, now + lat);
    this.tail = at;
    return new Promise<T>((resolve, reject) => {
      const op: Op = { run, resolve: resolve as (v: unknown) => void, reject, ...(write ? { write } : {}) };
      this.queue.add(op);
      this.b.clock.scheduleAt(at, this.fire, op);
    });
  }

  private read<T>(run: () => Promise<T>): Promise<T> {
    return this.enqueue(this.b.faults.readMs, () => {
      if (this.b.armed && this.b.faults.readErrorRate > 0 && this.b.rng.chance(this.b.faults.readErrorRate)) {
        return Promise.reject(new SimReadError('simulated read error'));
      }
      return run();
    });
  }

  private writeOp(write: Write, run: () => Promise<void>, fills: boolean): Promise<void> {
    return this.enqueue(
      this.b.faults.writeMs,
      async () => {
        if (fills && this.b.isFull()) throw new StorageFullError('simulated full disk');
        await run();
      },
      write,
    );
  }

  private observeRecords(records: readonly KeyRecord[]): void {
    if (this.b.observe) for (const record of records) this.b.observe({ kind: 'key', record });
  }

  get(key: string): Promise<KeyRecord | undefined> {
    return this.read(() => this.inner.get(key));
  }

  /** A get and a put, each with its own faults (no transaction joins them on this disk). */
  update(key: string, partition: number, fn: (current: KeyRecord | undefined) => Json | undefined): Promise<void> {
    return updateByGetPut(this, key, partition, fn);
  }

  put(record: KeyRecord): Promise<void> {
    const w: Write = { kind: 'put', records: [record] };
    return this.writeOp(w, () => this.inner.put(record).then(() => this.observeRecords(w.records)), true);
  }

  putMany(records: KeyRecord[]): Promise<void> {
    const w: Write = { kind: 'put', records: [...records] };
    return this.writeOp(w, () => this.inner.putMany(w.records).then(() => this.observeRecords(w.records)), true);
  }

  delete(key: string): Promise<void> {
    return this.writeOp({ kind: 'other' }, () => this.inner.delete(key), false);
  }

  scanPartition(partition: number, opts?: { after?: string; limit?: number }): Promise<ScanPage> {
    return this.read(() => this.inner.scanPartition(partition, opts));
  }

  count(): Promise<number> {
    return this.read(() => this.inner.count());
  }

  getMeta(name: string): Promise<Json | undefined> {
    return this.read(() => this.inner.getMeta(name));
  }

  putMeta(name: string, value: Json): Promise<void> {
    const observe = () => this.b.observe?.({ kind: 'meta', name, value });
    return this.writeOp({ kind: 'meta', name, value }, () => this.inner.putMeta(name, value).then(observe), true);
  }

  deleteMeta(name: string): Promise<void> {
    return this.writeOp({ kind: 'other' }, () => this.inner.deleteMeta(name), false);
  }

  listMeta(prefix: string): Promise<Array<{ name: string; value: Json }>> {
    return this.read(() => this.inner.listMeta(prefix));
  }

  /** Closes after everything queued before it, as IndexedDB lets running transactions finish. */
  close(): Promise<void> {
    return this.enqueue([0, 0], () => ((this.closed = true), this.inner.close()));
  }
}
