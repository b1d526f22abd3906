// "A node must never acknowledge what it did not durably store" (issue 17, item 1), checked at the
// moment of every acknowledgement rather than inferred later.
//
// Public API:
//   durableCopies(backings, key, dot) -> NodeId[]     nodes whose disk holds the version for the key, as
//                                                     a sibling or superseded by a version that saw it
//                                                     (key records, hints and minted records count)
//   new AckChecker(backings, dotOf)                   dotOf: the value's dot, from the first disk that
//                                                     held it (dots.ts); none means no disk ever did
//   .onAck(key, value, replicas)                      called as a put resolves; records a violation
//                                                     when fewer disks hold it than it claimed
//   .pauseUntil(t)                                    a disk was wiped: no checks until virtual time t
//   .violations
//
// Why at the moment of the ack: storage latency makes a write durable only when its turn on the disk
// comes. A node that answered before that would usually get away with it (the write lands a few ms
// later), and the end-of-run checker sees nothing; only a crash in that window loses it. Looking at
// the disks when the client hears "ok" catches every such answer, crash or not. Nothing is ever
// deleted from a disk in these runs except hints once delivered (and then the owner holds it),
// superseded siblings (then the record's clock covers the dot) and a whole wiped disk (the harness
// pauses the check for a while then), so a copy counted here was durable.

import type { Json, KeyRecord } from '../ports/storage';
import type { MapStorageBacking } from '../ports/memory-storage';
import type { NodeId } from '../ports/transport';
import * as vclock from '../core/vclock';
import type { Dot } from '../core/vclock';
import * as versions from '../core/versions';
import type { SiblingSet } from '../core/versions';

const MAX_KEPT = 20;

type Backings = ReadonlyMap<NodeId, MapStorageBacking>;

/** Every sibling set a node's disk holds for `key`. */
function setsOn(b: MapStorageBacking, key: string): SiblingSet[] {
  const raw: Json[] = [];
  const rec: KeyRecord | undefined = b.keys.get(key);
  if (rec) raw.push(rec.value);
  for (const [name, value] of b.meta) {
    const v = value as { key?: unknown; set?: Json } | null;
    if (name.startsWith('hint:') && v?.key === key && v.set !== undefined) raw.push(v.set);
    else if ((name === `minted:${key}` || (name.startsWith('minted@') && name.endsWith(`:${key}`))) && value !== null) raw.push(value);
  }
  const out: SiblingSet[] = [];
  for (const r of raw) {
    try {
      out.push(versions.fromJson(r));
    } catch {
      // a record the node itself could not read back holds nothing
    }
  }
  return out;
}

export function durableCopies(backings: Backings, key: string, dot: Dot): NodeId[] {
  const out: NodeId[] = [];
  for (const [node, b] of backings) if (setsOn(b, key).some((s) => vclock.covers(s.clock, dot))) out.push(node);
  return out;
}

export class AckChecker {
  readonly violations: string[] = [];
  count = 0;

  private pausedUntil = -Infinity;

  constructor(
    private readonly backings: Backings,
    private readonly dotOf: (key: string, value: Json) => Dot | undefined,
    private readonly now: () => number = () => 0,
  ) {}

  /** A disk was wiped: acks arriving until then may count a copy it held, and are not checked. */
  pauseUntil(t: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, t);
  }

  onAck(key: string, value: string, replicas: number): void {
    if (this.now() < this.pausedUntil) return;
    const dot = this.dotOf(key, value);
    const holders = dot ? durableCopies(this.backings, key, dot) : [];
    if (holders.length >= Math.max(1, replicas)) return;
    this.count++;
    if (this.violations.length < MAX_KEPT) {
      this.violations.push(`${key}=${value} acknowledged with ${replicas} replicas, durable on ${holders.length} (${holders.join(',') || 'none'})`);
    }
  }
}
