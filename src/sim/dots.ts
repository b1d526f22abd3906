// The KV679 check (issue 17, item 1): no two different versions of a key ever carry the same dot.
//
// Public API:
//   new DotRegistry()
//   .observer(node) -> WriteObserver   hand to a FaultyBacking: sees every write as it becomes durable
//   .reissued                          violations found so far (at most MAX_KEPT kept), .count all of them
//   .dotOf(key, value)                 the dot of the first durable version holding the value
//
// Why watch writes rather than the final state: a reissued dot is usually detected by nobody. The
// replica that had seen the first version drops the second as old, so the final state shows only a
// lost write, or nothing at all if the lost value was later superseded. Every durable copy of a
// version passes through a write (key records, hints, minted records), so the first copy of the
// second version is where the collision is certain. A dot is per key (each key counts its own), so
// the identity is (key, actor, counter); the version is its value, or "tombstone".

import type { Json } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import type { Dot } from '../core/vclock';
import type { WriteObserver } from './faulty-storage';

const MAX_KEPT = 20;

export interface Reissue {
  key: string;
  dot: string;
  first: string;
  second: string;
  /** The node whose write showed the second version. */
  node: NodeId;
}

export class DotRegistry {
  readonly reissued: Reissue[] = [];
  count = 0;
  private readonly seen = new Map<string, string>();
  /** (key, version) -> the dot its first durable copy carried. */
  private readonly dots = new Map<string, Dot>();

  /** The dot of the version of `key` holding `value`, once any disk held it. */
  dotOf(key: string, value: Json): Dot | undefined {
    return this.dots.get(`${key}\u0000${JSON.stringify(value)}`);
  }

  observer(node: NodeId): WriteObserver {
    return (w) => {
      if (w.kind === 'key') return this.observeSet(node, w.record.key, w.record.value);
      const key = keyOfMeta(w.name, w.value);
      if (key !== undefined) this.observeSet(node, key, w.name.startsWith('hint:') ? field(w.value, 'set') : w.value);
    };
  }

  private observeSet(node: NodeId, key: string, set: Json | undefined): void {
    const siblings = field(set, 'siblings');
    if (!Array.isArray(siblings)) return;
    for (const s of siblings) {
      const dot = field(s, 'dot');
      if (!Array.isArray(dot)) continue;
      const id = `${key}\u0000${String(dot[0])}:${String(dot[1])}`;
      const version = field(s, 'tombstone') === true ? 'tombstone' : JSON.stringify(field(s, 'value'));
      const first = this.seen.get(id);
      if (first === undefined) {
        this.seen.set(id, version);
        this.dots.set(`${key}\u0000${version}`, { node: String(dot[0]), counter: Number(dot[1]) });
      }
      else if (first !== version) this.report({ key, dot: `${String(dot[0])}:${String(dot[1])}`, first, second: version, node });
    }
  }

  private report(r: Reissue): void {
    this.count++;
    if (this.reissued.length < MAX_KEPT) this.reissued.push(r);
  }
}

function field(v: Json | undefined, name: string): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v[name] : undefined;
}

/** The key a metadata record holds a sibling set for: hints (`hint:`) and minted records (minted.ts). */
function keyOfMeta(name: string, value: Json): string | undefined {
  if (name.startsWith('hint:')) {
    const key = field(value, 'key');
    return typeof key === 'string' ? key : undefined;
  }
  if (name.startsWith('minted:')) return name.slice('minted:'.length);
  const m = /^minted@\d+:/.exec(name);
  return m ? name.slice(m[0].length) : undefined;
}
