// Sets a peer refused to merge, parked so that bulk transfers (hints, key transfer, anti-entropy) stop
// re-sending them: the bounded outcome of two replicas whose copies of a key cannot be merged.
//
// Public API
//   new Refusals(now, parkMs?)
//   .refused(peer, key, set)        the peer acknowledged a shipment but refused this set: park it
//   .isParked(peer, key, set)       true while parked and unchanged: leave it out of shipments
//   .stats(): { refused, parked }   sets refused so far; (peer, key) pairs parked now
//   PARK_MS  MAX_PARKED
//
// Why a peer refuses: the merge of the set it was sent with its own copy would not be storable
// (versions.checkStorable: more than twice the sibling bound in values, or a clock or sibling count
// the parser refuses), e.g. three replicas that each took MAX_SET_CHARS of blind writes while apart.
// Neither copy is wrong and neither may be dropped, so each replica keeps its own and the handoff-ack
// names the refused keys. Retrying such a key at every sweep and every hint round would cost a full
// shipment of it each time, for ever; so the sender keeps the set it holds (a hint stays a hint, a key
// being moved away stays stored and its partition stays pending) and does not send it to that peer
// again until the set changes here (a client that read the key and wrote back with its context
// supersedes the siblings it saw) or PARK_MS have passed (the peer's copy may have shrunk likewise).
// No acknowledged write is dropped: every sibling stays on the replicas that held it, and reads that
// reach them still see it. The parked pairs are bounded (MAX_PARKED; the oldest is forgotten first,
// which costs one more refused shipment of it, never data).

import type { Json } from '../ports/storage';
import type { NodeId } from '../ports/transport';

/** How long a refused set is not re-sent, unless it changes. */
export const PARK_MS = 10 * 60_000;
export const MAX_PARKED = 10_000;

interface Parked {
  fingerprint: number;
  until: number;
}

export class Refusals {
  private readonly parked = new Map<string, Parked>();
  private refusedCount = 0;

  constructor(
    private readonly now: () => number,
    private readonly parkMs = PARK_MS,
  ) {}

  refused(peer: NodeId, key: string, set: Json): void {
    this.refusedCount++;
    const id = pairId(peer, key);
    this.parked.delete(id); // re-inserted last: the map's order is the order of expiry
    if (this.parked.size >= MAX_PARKED) this.parked.delete(this.parked.keys().next().value as string);
    this.parked.set(id, { fingerprint: fingerprint(set), until: this.now() + this.parkMs });
  }

  isParked(peer: NodeId, key: string, set: Json): boolean {
    const id = pairId(peer, key);
    const p = this.parked.get(id);
    if (!p) return false;
    if (this.now() < p.until && p.fingerprint === fingerprint(set)) return true;
    this.parked.delete(id);
    return false;
  }

  stats(): { refused: number; parked: number } {
    const now = this.now();
    for (const [id, p] of this.parked) {
      if (now < p.until) break; // in order of expiry (see refused)
      this.parked.delete(id);
    }
    return { refused: this.refusedCount, parked: this.parked.size };
  }
}

function pairId(peer: NodeId, key: string): string {
  return `${peer}\u0000${key}`;
}

/** FNV-1a over the set's JSON: a set changed here is sent again (a collision waits for the park to end). */
function fingerprint(set: Json): number {
  const s = JSON.stringify(set);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
