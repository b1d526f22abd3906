// One shopper's cart in the store: read, merge the siblings, replay unacknowledged changes, write
// back with the read's context; keep the shopper's intent across quorum failures and retry.
//
// Public API
//   new CartSession(store, key, { newTag, onUpdate, announce? })
//   .state                       what the page shows (SessionState)
//   .change(op)                  op(cart, tag) -> delta (orset.ts); applied at once, written in the background
//   .refresh()  .refreshLater(ms) re-read soon (events call this; bursts coalesce) / once more later
//   .retryNow()   .dispose()
//   tagMaker(nodeId)             unique tags for one tab
//
// Why a change is kept as a delta, not as "the cart to write": a write can fail (QuorumError) or
// race another tab. The delta is replayed onto every later read until a put carrying it is
// acknowledged, and it only removes tags the shopper saw, so a replay never removes what someone
// else added meanwhile (orset.ts).
//
// Siblings. A read with several versions is merged and shown at once. The merge is written back,
// with the read's context, so the siblings collapse; all tabs viewing the cart would do so at once
// and, writing with the same context, make new (identical) siblings. So tabs wait in the order of
// the key's preference list, first reachable replica first, and re-read before writing: usually one
// write-back happens and the others find one version.
//
// Never rejected (the paper's cart promise). A write is made with the store's W first. When that
// quorum cannot be met (this tab is cut off), or the read before it cannot, the change is written at
// once with w 'any': this tab's node keeps it durably, with hints for the replicas it could not
// reach, and it reaches them when the network is back, even if this tab is closed and opened later.
// The context is the last one read: the write supersedes only what this tab saw, so nothing written
// elsewhere meanwhile is lost (it stays a sibling, merged on the next read).

import type { Json } from '../../ports/storage';
import * as OR from './orset';
import type { Cart, Line, Tag } from './orset';
import * as U from './union';

/** The part of window.dynamo a cart needs. */
export interface CartStore {
  readonly id: string;
  get(key: string): Promise<{ values: Json[]; context: string }>;
  put(key: string, value: Json, context?: string, opts?: { w?: number | 'any' }): Promise<{ context: string; replicas: number; degraded?: boolean }>;
  preferenceList(key: string): string[];
  members(): Array<{ id: string; status: string }>;
}

export interface MergeReport {
  versions: number;
  at: number;
  /** What this page shows: the OR-set merge of the siblings. */
  merged: Line[];
  /** What the paper's union merge would show for the same siblings. */
  union: Line[];
  /** Items the union would bring back that the OR-set knows were removed. */
  resurfaced: string[];
  /** Siblings that were not carts (written by something else) and were ignored. */
  unreadable: number;
  written: boolean;
}

export interface Problem {
  during: 'read' | 'write';
  message: string;
  attempts: number;
  retryAt: number;
}

export interface SessionState {
  key: string;
  loaded: boolean;
  /** The stored cart merged with the changes not yet acknowledged. */
  cart: Cart;
  pending: number;
  /** Versions (siblings) in the last read. */
  versions: number;
  lastMerge: MergeReport | undefined;
  problem: Problem | undefined;
  /** Replicas that acknowledged this tab's last write. */
  replicas: number | undefined;
  /** The last save was held by this tab alone (w 'any'), and no quorum read has happened since. */
  savedLocally: boolean;
}

export interface SessionOptions {
  newTag: () => Tag;
  onUpdate: (state: SessionState) => void;
  /** Told after each acknowledged write, so that other viewers can re-read. */
  announce?: (key: string) => void;
  now?: () => number;
}

type Timer = 'refresh' | 'later' | 'writeBack' | 'retry';
const WRITE_BACK_STEP_MS = 300;
const MAX_BACKOFF_MS = 8000;

export class CartSession {
  private stored: Cart = OR.empty();
  private pending: Cart[] = [];
  private versions = 0;
  private loaded = false;
  private lastMerge: MergeReport | undefined;
  private problem: Problem | undefined;
  private replicas: number | undefined;
  private savedLocally = false;
  /** The context of the last successful read: what a degraded write supersedes. */
  private lastContext: string | undefined;
  private running = false;
  private rerun = false;
  private rerunWriteBack = false;
  private disposed = false;
  private timers = new Map<Timer, ReturnType<typeof setTimeout>>();
  private readonly now: () => number;

  constructor(
    private readonly store: CartStore,
    readonly key: string,
    private readonly opts: SessionOptions,
  ) {
    this.now = opts.now ?? Date.now;
    void this.sync(false);
  }

  get state(): SessionState {
    return {
      key: this.key,
      loaded: this.loaded,
      cart: OR.mergeAll([this.stored, ...this.pending]),
      pending: this.pending.length,
      versions: this.versions,
      lastMerge: this.lastMerge,
      problem: this.problem,
      replicas: this.replicas,
      savedLocally: this.savedLocally,
    };
  }

  change(op: (cart: Cart, tag: Tag) => Cart): void {
    if (this.disposed) return;
    this.pending.push(op(this.state.cart, this.opts.newTag()));
    this.emit();
    void this.sync(true);
  }

  refresh(): void {
    this.schedule('refresh', 30, () => void this.sync(false));
  }

  refreshLater(ms: number): void {
    this.schedule('later', ms, () => void this.sync(false));
  }

  retryNow(): void {
    this.cancel('retry');
    void this.sync(true);
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** One read (and, when needed, one write) at a time; calls made meanwhile run once more after. */
  private async sync(writeBack: boolean): Promise<void> {
    if (this.disposed) return;
    if (this.running) {
      this.rerun = true;
      this.rerunWriteBack ||= writeBack;
      return;
    }
    this.running = true;
    let during: Problem['during'] = 'read';
    try {
      do {
        this.rerun = false;
        during = 'read';
        const read = await this.store.get(this.key);
        if (this.disposed) return;
        const siblings = this.absorb(read.values);
        this.lastContext = read.context;
        this.savedLocally = false;
        const sending = this.pending.length;
        if (sending > 0 || (siblings && writeBack)) {
          during = 'write';
          await this.write(sending, read.context);
          if (siblings && this.lastMerge) this.lastMerge.written = true;
        } else if (siblings) {
          this.scheduleWriteBack();
        }
        this.problem = undefined;
        this.cancel('retry');
        writeBack = this.rerunWriteBack;
        this.rerunWriteBack = false;
        this.emit();
      } while (this.rerun && !this.disposed);
    } catch (err) {
      if (during === 'write' || !(await this.saveLocally(err))) this.fail(during, err);
    } finally {
      this.running = false;
    }
  }

  /** Writes the stored cart with the first `sending` pending changes; a failed quorum retries at w 'any'. */
  private async write(sending: number, context: string | undefined, quorumFailed = false): Promise<void> {
    const next = OR.mergeAll([this.stored, ...this.pending.slice(0, sending)]);
    let res: { replicas: number; degraded?: boolean } | undefined;
    try {
      if (!quorumFailed) res = await this.store.put(this.key, next, context);
    } catch (err) {
      if (!isQuorumError(err)) throw err;
    }
    res ??= await this.store.put(this.key, next, context, { w: 'any' });
    this.pending.splice(0, sending);
    this.stored = next;
    this.versions = 1;
    this.replicas = res.replicas;
    this.savedLocally = res.degraded === true;
    this.opts.announce?.(this.key);
  }

  /**
   * The read failed for want of a quorum (this tab is cut off) with changes waiting: they are written
   * anyway, at w 'any', over the last context read (none yet: a blind write, merged later). True when that worked; the page then says the
   * cart is saved on this tab, and a later read (retried as usual) finds the network back.
   */
  private async saveLocally(err: unknown): Promise<boolean> {
    if (this.disposed || !isQuorumError(err) || this.pending.length === 0) return false;
    try {
      await this.write(this.pending.length, this.lastContext, true);
    } catch {
      return false;
    }
    this.problem = undefined;
    // Look again later, quietly: the read that failed is what tells when the network is back.
    this.schedule('retry', 2000, () => void this.sync(false));
    this.emit();
    return true;
  }

  /** Takes a read in; true when it held siblings. */
  private absorb(values: Json[]): boolean {
    const carts = values.map(OR.parse);
    const readable = carts.filter((c): c is Cart => c !== undefined);
    this.stored = OR.mergeAll(readable);
    this.versions = values.length;
    this.loaded = true;
    if (values.length <= 1) return false;
    const merged = OR.lines(this.stored);
    const union = U.mergeAll(readable.map(OR.lines));
    const kept = new Set(merged.map((l) => l.item));
    this.lastMerge = {
      versions: values.length,
      at: this.now(),
      merged,
      union,
      resurfaced: union.map((l) => l.item).filter((i) => !kept.has(i)),
      unreadable: values.length - readable.length,
      written: false,
    };
    return true;
  }

  private scheduleWriteBack(): void {
    if (this.timers.has('writeBack')) return;
    const up = new Set(this.store.members().filter((m) => m.status === 'up').map((m) => m.id));
    const order = this.store.preferenceList(this.key).filter((id) => up.has(id) || id === this.store.id);
    const rank = Math.max(0, order.indexOf(this.store.id));
    this.schedule('writeBack', rank * WRITE_BACK_STEP_MS + Math.random() * 100, () => void this.sync(true));
  }

  private fail(during: Problem['during'], err: unknown): void {
    if (this.disposed) return;
    const attempts = (this.problem?.attempts ?? 0) + 1;
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempts - 1));
    this.problem = { during, message: describe(err), attempts, retryAt: this.now() + backoff };
    this.schedule('retry', backoff, () => void this.sync(true));
    this.emit();
  }

  private schedule(which: Timer, ms: number, run: () => void): void {
    if (this.disposed) return;
    this.cancel(which);
    this.timers.set(
      which,
      setTimeout(() => {
        this.timers.delete(which);
        run();
      }, ms),
    );
  }

  private cancel(which: Timer): void {
    const t = this.timers.get(which);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(which);
  }

  private emit(): void {
    if (!this.disposed) this.opts.onUpdate(this.state);
  }
}

function isQuorumError(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'QuorumError';
}

/** Errors are matched by name: the app must not depend on the runtime's class identity. */
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; required?: number; answered?: number };
  if (e?.name === 'QuorumError' && typeof e.required === 'number') {
    return `only ${e.answered ?? 0} of ${e.required} replicas answered in time`;
  }
  if (e?.name === 'ClosedError') return 'this node has stopped';
  return e?.message ?? String(err);
}

/**
 * Tags unique across tabs and reloads: the node id alone is not enough, since a reloaded tab keeps
 * its id but not its counter; random bytes (getRandomValues also works on plain-http LAN pages,
 * where crypto.randomUUID does not exist) make a reused counter harmless.
 */
export function tagMaker(nodeId: string): () => Tag {
  let n = 0;
  return () => {
    const bytes = crypto.getRandomValues(new Uint8Array(4));
    const rand = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${nodeId}:${(++n).toString(36)}.${rand}`;
  };
}
