// Deliberate bugs the simulator must catch (issue 17, item 7; mutation testing of the test harness):
// a simulator that cannot find these cannot be trusted when it passes.
//
// Public API
//   MUTANTS, type Mutant, type Mutants      the named set, and what a node may be built with
//   MUTANT_BUGS: Record<Mutant, string>     one line per mutant: the bug it plants
//   isMutant(name): name is Mutant
//   eagerWrites(storage)                    'ack-before-write': writes resolve before they are durable
//   volatileMeta(storage, prefix)           'hints-in-memory': meta records under prefix never reach the disk
//   forgetfulMeta(storage, prefix)          'forget-minted': records under prefix are not listed at start
//   droppingVersioning(versioning)          'merge-drops-sibling'
//
// How a mutant is switched on: only through NodeDeps.mutants, which only src/sim passes. No config
// field, peer message, URL parameter or CLI flag of a node reaches it, and an absent set costs one
// check per construction (each mutated spot is decided once, when the node's parts are built), never
// one per request. The rest of the mutated spots: liveness.ts ('never-suspect'), membership.ts
// ('ignore-removals'), node-build.ts ('reap-without-grace': the reaper's grace is 0).

import { overriding, type Json, type KeyRecord, type Storage } from '../ports/storage';
import type { Versioning } from './replica';
import * as versions from './versions';
import type { SiblingSet } from './versions';

export const MUTANTS = [
  'ack-before-write',
  'hints-in-memory',
  'forget-minted',
  'merge-drops-sibling',
  'never-suspect',
  'ignore-removals',
  'reap-without-grace',
] as const;

export type Mutant = (typeof MUTANTS)[number];
export type Mutants = ReadonlySet<Mutant>;

export const MUTANT_BUGS: Record<Mutant, string> = {
  'ack-before-write': 'every storage write resolves at once, before it is durable (so acks come early)',
  'hints-in-memory': 'hints are kept in memory only: a crash of the fallback loses them',
  'forget-minted': 'the minted-dot records (minted.ts) are not read back at restart',
  'merge-drops-sibling': 'a merge that yields several siblings drops the last one',
  'never-suspect': 'the failure detector never suspects a silent peer, nor drops its link',
  'ignore-removals': "membership ignores 'remove' changes (its own and its peers')",
  'reap-without-grace': 'tombstones are reaped as soon as anti-entropy confirms them (grace 0)',
};

export function isMutant(name: string): name is Mutant {
  return (MUTANTS as readonly string[]).includes(name);
}

const swallow = (p: Promise<unknown>): void => void p.catch(() => undefined);

/** Writes are queued on the real storage and reported done at once. */
export function eagerWrites(s: Storage): Storage {
  return overriding(s, {
    put: (r: KeyRecord) => (swallow(s.put(r)), Promise.resolve()),
    // Resolves once fn has run (its caller reads what fn computed), before the write is durable.
    update: (k: string, p: number, fn: (current: KeyRecord | undefined) => Json | undefined) =>
      new Promise<void>((resolve, reject) => {
        s.update(k, p, (current) => {
          try {
            const out = fn(current);
            resolve();
            return out;
          } catch (err) {
            reject(err);
            throw err;
          }
        }).catch(reject);
      }),
    putMany: (rs: KeyRecord[]) => (swallow(s.putMany(rs)), Promise.resolve()),
    delete: (k: string) => (swallow(s.delete(k)), Promise.resolve()),
    putMeta: (n: string, v: Json) => (swallow(s.putMeta(n, v)), Promise.resolve()),
    deleteMeta: (n: string) => (swallow(s.deleteMeta(n)), Promise.resolve()),
  });
}

/** Meta records under `prefix` live in this object only. */
export function volatileMeta(s: Storage, prefix: string): Storage {
  const mem = new Map<string, Json>();
  return overriding(s, {
    getMeta: (n: string) => (n.startsWith(prefix) ? Promise.resolve(mem.get(n)) : s.getMeta(n)),
    putMeta: (n: string, v: Json) => (n.startsWith(prefix) ? (mem.set(n, v), Promise.resolve()) : s.putMeta(n, v)),
    deleteMeta: (n: string) => (n.startsWith(prefix) ? (mem.delete(n), Promise.resolve()) : s.deleteMeta(n)),
    listMeta: async (p: string) => (p.startsWith(prefix) ? [...mem].filter(([n]) => n.startsWith(p)).map(([name, value]) => ({ name, value })) : s.listMeta(p)),
  });
}

/** Records under `prefix` are stored as usual but never listed (what a start-up load reads). */
export function forgetfulMeta(s: Storage, prefix: string): Storage {
  return overriding(s, { listMeta: async (p: string) => (prefix.startsWith(p) || p.startsWith(prefix) ? [] : s.listMeta(p)) });
}

/** The merge drops the last of several siblings (keeping the clock: the drop looks causal). */
export function droppingVersioning(v: Versioning): Versioning {
  return {
    put: v.put,
    merge: (a: SiblingSet, b: SiblingSet): SiblingSet => {
      const m = v.merge(a, b);
      return m.siblings.length > 1 && !versions.equals(m, a) && !versions.equals(m, b) ? { clock: m.clock, siblings: m.siblings.slice(0, -1) } : m;
    },
  };
}
