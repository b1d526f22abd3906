// Handing hints over on the way out (paper §4.6): a tab that is closing (pagehide) or being frozen
// sends the hints it holds to live nodes, so a hint does not wait in a closed tab's storage for a
// reopen that may never come. Anti-entropy stays the backstop for anything this misses.
//
// Public API
//   handOff(deps): HandOffResult      send, synchronously, every hint it can within the budget
//   handOffDeps(self, parts)          the deps from a node's parts (node.ts)
//   FAREWELL_SETS, FAREWELL_CHARS     the budget: sets, and serialized characters of them
//
// Why synchronous, from memory, and unacknowledged: pagehide gives a page no async time, so only
// what is already in memory (the hint store keeps every hint there) can be queued, on links that are
// already open; the transport writes its queue out as it closes. Nothing is deleted here: the hints
// stay on disk, and a tab that lives on (a frozen tab resumes) delivers them again later, which is
// harmless (merging a set twice is a no-op). Where each hint goes: its owner when the link to it is
// up, since the owner merges it into its replica and is done; else the first healthy node of the
// key's walk (its other primaries, then fallbacks in zones the key lacks: placement.ts) that is
// neither this node nor the owner, which keeps it as a hint for the owner, as any fallback would.
// The budget keeps the queued bytes under the data channel's high-water mark, so the transport's
// closing flush can write them all.

import type { NodeId } from '../ports/transport';
import type { HintStore } from './handoff';
import type { Parts } from './parts';
import { encode, type Message } from './protocol/messages';
import type { SetJson } from './protocol/wire';
import { setChars } from './shipping';

export const FAREWELL_SETS = 2_000;
export const FAREWELL_CHARS = 512 * 1024;

export interface HandOffDeps {
  self: NodeId;
  hints: Pick<HintStore, 'owners' | 'batch' | 'count'>;
  /** The key's walk: primaries first, then fallbacks (placement.ts). */
  walk(key: string): readonly NodeId[];
  /** Worth handing to: up, not suspect or down (liveness.ts). */
  healthy(id: NodeId): boolean;
  /** Queues a message; false when no link to `to` is up (nothing was sent). */
  send(to: NodeId, msg: Message): boolean;
}

export interface HandOffResult {
  /** Hints sent to their owner. */
  toOwner: number;
  /** Hints sent to another node, to keep for their owner. */
  toFallback: number;
  /** Hints not sent: no live node to take them, or past the budget. */
  kept: number;
}

export function handOffDeps(self: NodeId, parts: Pick<Parts, 'hints' | 'placement' | 'liveness' | 'transport'>): HandOffDeps {
  const { hints, placement, liveness, transport } = parts;
  return { self, hints, walk: (k) => placement.walk(k), healthy: (id) => liveness.healthy(id), send: (to, m) => transport.send(to, encode(m)) };
}

export function handOff(deps: HandOffDeps, limits = { sets: FAREWELL_SETS, chars: FAREWELL_CHARS }): HandOffResult {
  const result: HandOffResult = { toOwner: 0, toFallback: 0, kept: 0 };
  let sets = 0;
  let chars = 0;
  for (const owner of deps.hints.owners()) {
    // Never more than the budget is serialized: pagehide's time is the page's last.
    for (const h of deps.hints.batch(owner, limits.sets - sets)) {
      const size = setChars(h);
      if (chars + size > limits.chars) continue;
      const where = send(deps, owner, h.key, h.set);
      if (where === undefined) continue;
      sets++;
      chars += size;
      result[where]++;
    }
  }
  result.kept = deps.hints.count() - sets;
  return result;
}

/** Sends one hint to its owner or the first healthy node of its walk that takes it; says which. */
function send(deps: HandOffDeps, owner: NodeId, key: string, set: SetJson): 'toOwner' | 'toFallback' | undefined {
  // Request id 0: nobody waits for the ack (a frozen tab that resumes drops it as unmatched).
  if (deps.healthy(owner) && deps.send(owner, { type: 'put', id: 0, key, set })) return 'toOwner';
  for (const id of deps.walk(key)) {
    if (id === deps.self || id === owner || !deps.healthy(id)) continue;
    if (deps.send(id, { type: 'put', id: 0, key, set, hintFor: owner })) return 'toFallback';
  }
  return undefined;
}
