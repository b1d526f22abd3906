// The cart session against a fake store: siblings merged and written back with the read's context,
// a change kept across quorum failures, a change made during a write not lost.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as OR from '../../src/apps/cart/orset';
import type { Cart } from '../../src/apps/cart/orset';
import { CartSession, tagMaker, type CartStore, type SessionState } from '../../src/apps/cart/session';
import type { Json } from '../../src/ports/storage';

/** Versions with ids; a put drops the versions its context saw and adds one: siblings as in Dynamo. */
class FakeStore implements CartStore {
  readonly id = 'me';
  versions: { id: number; value: Json }[] = [];
  failures = 0;
  /** Cut off: reads and quorum writes fail; a w 'any' write is kept (by this tab) and succeeds. */
  cutOff = false;
  degradedPuts = 0;
  puts = 0;
  private next = 1;
  gate: Promise<void> | undefined;

  async get(): Promise<{ values: Json[]; context: string }> {
    if (this.cutOff) throw Object.assign(new Error('get: 1 of 2'), { name: 'QuorumError', required: 2, answered: 1 });
    return { values: this.versions.map((v) => v.value), context: JSON.stringify(this.versions.map((v) => v.id)) };
  }
  async put(_key: string, value: Json, context = '[]', opts: { w?: number | 'any' } = {}): Promise<{ context: string; replicas: number; degraded?: boolean }> {
    await this.gate;
    if (this.cutOff && opts.w !== 'any') throw Object.assign(new Error('put: 1 of 2'), { name: 'QuorumError', required: 2, answered: 1 });
    if (this.cutOff) {
      this.degradedPuts++;
      const seen = new Set(JSON.parse(context) as number[]);
      this.versions = [...this.versions.filter((v) => !seen.has(v.id)), { id: this.next++, value }];
      return { context: '[]', replicas: 1, degraded: true };
    }
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('put: 1 of 2'), { name: 'QuorumError', required: 2, answered: 1 });
    }
    this.puts++;
    const seen = new Set(JSON.parse(context) as number[]);
    this.versions = [...this.versions.filter((v) => !seen.has(v.id)), { id: this.next++, value }];
    return { context: '[]', replicas: 2 };
  }
  preferenceList(): string[] {
    return ['me', 'other'];
  }
  members() {
    return [
      { id: 'me', status: 'up' },
      { id: 'other', status: 'up' },
    ];
  }
  /** Writes a version concurrent with everything stored (a blind put from elsewhere). */
  sibling(value: Cart): void {
    this.versions.push({ id: this.next++, value });
  }
}

function open(store: FakeStore) {
  const updates: SessionState[] = [];
  const session = new CartSession(store, 'cart:alice', { newTag: tagMaker('me'), onUpdate: (s) => updates.push(s) });
  return { session, updates };
}
const items = (c: Cart) => OR.lines(c).map((l) => l.item);
const storedItems = (store: FakeStore) => store.versions.map((v) => items(OR.parse(v.value)!));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('cart session', () => {
  it('writes a change with the read context: one version, no sibling', async () => {
    const store = new FakeStore();
    const { session } = open(store);
    await vi.advanceTimersByTimeAsync(10);
    session.change((cart, tag) => OR.add(cart, 'book', 1, tag));
    await vi.advanceTimersByTimeAsync(10);
    session.change((cart, tag) => OR.add(cart, 'pen', 1, tag));
    await vi.advanceTimersByTimeAsync(10);
    expect(storedItems(store)).toEqual([['book', 'pen']]);
    expect(session.state.pending).toBe(0);
    session.dispose();
  });

  it('merges siblings with the OR-set, reports what the union would resurrect, and writes the merge back', async () => {
    const store = new FakeStore();
    const t = tagMaker('x');
    const base = OR.merge(OR.empty(), OR.add(OR.empty(), 'cup', 1, t()));
    // Two tabs, both from `base`: one removes the cup, one adds a pen.
    store.sibling(OR.merge(base, OR.remove(base, 'cup')));
    store.sibling(OR.merge(base, OR.add(base, 'pen', 1, t())));
    const { session } = open(store);
    await vi.advanceTimersByTimeAsync(5);
    expect(session.state.versions).toBe(2);
    expect(items(session.state.cart)).toEqual(['pen']);
    expect(session.state.lastMerge?.resurfaced).toEqual(['cup']);
    expect(session.state.lastMerge?.union.map((l) => l.item)).toEqual(['cup', 'pen']);
    await vi.advanceTimersByTimeAsync(500); // this tab heads the preference list: it writes back first
    expect(storedItems(store)).toEqual([['pen']]);
    expect(session.state.lastMerge?.written).toBe(true);
    session.dispose();
  });

  it('keeps a change through quorum failures, says so, and saves it when a retry succeeds', async () => {
    const store = new FakeStore();
    const { session } = open(store);
    await vi.advanceTimersByTimeAsync(5);
    store.failures = 4; // each attempt is a W write and then a w 'any' one: both fail, twice
    session.change((cart, tag) => OR.add(cart, 'lamp', 1, tag));
    await vi.advanceTimersByTimeAsync(5);
    expect(session.state.problem).toMatchObject({ during: 'write', attempts: 1, message: 'only 1 of 2 replicas answered in time' });
    expect(items(session.state.cart)).toEqual(['lamp']);
    expect(session.state.pending).toBe(1);
    await vi.advanceTimersByTimeAsync(1000); // first automatic retry: fails again, backs off
    expect(session.state.problem?.attempts).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(session.state.problem).toBeUndefined();
    expect(session.state.pending).toBe(0);
    expect(storedItems(store)).toEqual([['lamp']]);
    session.dispose();
  });

  it('a change made while a write is in flight is written after it, not lost', async () => {
    const store = new FakeStore();
    const { session } = open(store);
    await vi.advanceTimersByTimeAsync(5);
    let release!: () => void;
    store.gate = new Promise((r) => (release = r));
    session.change((cart, tag) => OR.add(cart, 'book', 1, tag));
    await vi.advanceTimersByTimeAsync(5);
    session.change((cart) => OR.remove(cart, 'book'));
    session.change((cart, tag) => OR.add(cart, 'cup', 1, tag));
    expect(items(session.state.cart)).toEqual(['cup']);
    release();
    store.gate = undefined;
    await vi.advanceTimersByTimeAsync(10);
    expect(storedItems(store)).toEqual([['cup']]);
    expect(store.puts).toBe(2);
    session.dispose();
  });

  it('a cut-off tab saves a change locally at w any: nothing pending, no problem shown, nothing lost', async () => {
    const store = new FakeStore();
    const { session } = open(store);
    await vi.advanceTimersByTimeAsync(5);
    session.change((cart, tag) => OR.add(cart, 'book', 1, tag));
    await vi.advanceTimersByTimeAsync(5);
    store.cutOff = true;
    session.change((cart, tag) => OR.add(cart, 'pen', 1, tag));
    await vi.advanceTimersByTimeAsync(5);
    expect(store.degradedPuts).toBe(1);
    expect(session.state).toMatchObject({ pending: 0, savedLocally: true, replicas: 1, problem: undefined });
    expect(storedItems(store).at(-1)).toEqual(['book', 'pen']);
    store.cutOff = false;
    await vi.advanceTimersByTimeAsync(3000); // the quiet re-read finds the network back
    expect(session.state.savedLocally).toBe(false);
    session.dispose();
  });
});
