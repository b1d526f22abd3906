// Where the hostile peer's messages come from: the captured corpus (plus templates for message kinds a
// 3-member ring never sends, such as forwards and reap notices), replayed, mutated, damaged, or
// replaced by random JSON. The pre-written keys are renamed in the corpus (`pw:1` -> `hx:pw:1`), so
// the hostile peer never sends a well-formed write for a key whose read is checked afterwards.

import type { SeededRandom } from '../../src/sim/random';
import { randomJson, serialize, setOwn, text, type J } from './json';
import { damage, extremeSet, MESSAGE_TYPES, mutateMessage, type MutationContext, type Obj } from './mutate';

export interface Outgoing {
  frame: string;
  how: string;
}

/** The corpus: captured frames parsed, with protected keys renamed wherever they appear. */
export function prepareCorpus(captured: readonly string[], protectedKeys: ReadonlySet<string>, templates: Obj[]): Obj[] {
  const seen = new Set<string>();
  const out: Obj[] = [];
  for (const frame of captured) {
    if (seen.has(frame)) continue;
    seen.add(frame);
    out.push(rename(JSON.parse(frame.slice(8)) as Obj, protectedKeys)); // past the checksum
  }
  for (const t of templates) out.push(rename(t, protectedKeys));
  return out;
}

/** Strings equal to a protected key, anywhere in the message, get the `hx:` prefix. */
function rename<T extends J>(x: T, keys: ReadonlySet<string>): T {
  if (typeof x === 'string') return (keys.has(x) ? `hx:${x}` : x) as T;
  if (Array.isArray(x)) return x.map((v) => rename(v, keys)) as T;
  if (typeof x !== 'object' || x === null) return x;
  const out: Obj = {};
  for (const [k, v] of Object.entries(x)) setOwn(out, k, rename(v, keys));
  return out as T;
}

/** Messages a ring where every member is a primary never sends, built from what the writes returned. */
export function templates(key: string, value: J, context: string, set: J): Obj[] {
  return [
    { type: 'fwd-put', id: 1, key, value, context, w: 2, timeoutMs: 1000 },
    { type: 'fwd-put', id: 2, key, tombstone: true, context, w: 1 },
    { type: 'fwd-put-reply', id: 3, ok: true, context, replicas: 2 },
    { type: 'fwd-put-reply', id: 4, ok: false, error: 'QuorumError', message: 'timed out', required: 2, answered: 1 },
    { type: 'put', id: 5, key, set, hintFor: 'n1' },
    { type: 'handoff', id: 6, sets: [{ key, set }], digest: '3:abc:def' },
    { type: 'reaped', id: 0, items: [{ key, digest: 'AAAAAAAAAAAAAAAAAAAAAA' }] },
    // One key that many sets at the parser's bounds land on: what merges add up to shows there.
    { type: 'put', id: 7, key: `${key}:x`, set: { clock: [], siblings: [], fill: 'extreme' } },
  ];
}

export class Source {
  private readonly ctx: MutationContext;
  /** The corpus by message type: each type gets an equal share, however much of it was captured. */
  private readonly byType: Obj[][];

  constructor(
    private readonly rng: SeededRandom,
    corpus: Obj[],
  ) {
    const groups = new Map<unknown, Obj[]>();
    for (const m of corpus) {
      const group = groups.get(m['type']);
      if (group) group.push(m);
      else groups.set(m['type'], [m]);
    }
    this.byType = [...groups.values()];
    const staleIds = corpus.map((m) => m['id']).filter((id): id is number => typeof id === 'number' && id > 0);
    this.ctx = { other: () => rng.pick(corpus), staleIds: staleIds.slice(-200) };
  }

  next(): Outgoing {
    const rng = this.rng;
    const r = rng.int(1000);
    if (r === 0 && rng.chance(0.5)) return { frame: `"${'x'.repeat(16 * 1024 * 1024)}"`, how: 'over the size limit' };
    if (r < 60) return { frame: serialize(randomJson(rng, 4)), how: 'random json' };
    if (r < 100) return { frame: serialize(this.randomTyped()), how: 'random fields under a real type' };
    const base = this.base();
    if (r < 170) return { frame: serialize(base), how: `replay ${String(base['type'])}` };
    if (r < 240) {
      const d = damage(rng, serialize(base));
      return { frame: d.frame, how: `${String(base['type'])}: ${d.how}` };
    }
    const m = mutateMessage(rng, base, this.ctx);
    return { frame: serialize(m.msg), how: `${String(base['type'])}: ${m.how}` };
  }

  private base(): Obj {
    const m = this.rng.pick(this.rng.pick(this.byType));
    // The template's set is made fresh each time.
    return (m['set'] as Obj | undefined)?.['fill'] === 'extreme' ? { ...m, set: extremeSet(this.rng) } : m;
  }

  private randomTyped(): Obj {
    const out: Obj = { type: this.rng.pick(MESSAGE_TYPES), id: this.rng.chance(0.5) ? 0 : this.rng.int(1000) };
    for (let i = this.rng.int(4); i > 0; i--) setOwn(out, this.rng.pick(['key', 'set', 'sets', 'items', 'payload', 'changes', 'digest', 'x', 'p', 'init', text(this.rng, 3)]), randomJson(this.rng, 3));
    return out;
  }
}
