// Checks after a fuzzing run: the pre-written keys read back exactly, every member still serves reads
// and writes, everything stored still parses and fits in a message, and the ring still takes a join.
// Each returns the problems found (empty when all is well), so the test and the CLI report alike.

import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock } from '../../src/adapters/system/clock';
import { MAX_MESSAGE_CHARS } from '../../src/core/protocol/messages';
import { DynamoCore } from '../../src/core/node';
import * as versions from '../../src/core/versions';
import type { Storage } from '../../src/ports/storage';
import type { SeededRandom } from '../../src/sim/random';
import { until } from '../support/wait';
import { FUZZ_CONFIG, type Ring, type Snapshot } from './ring';

/** Each key read (R=3, so from every replica) through a coordinator in turn: exactly what it was. */
export async function checkKeys(ring: Ring, snapshot: ReadonlyMap<string, Snapshot>): Promise<string[]> {
  const out: string[] = [];
  let i = 0;
  for (const [key, before] of snapshot) {
    const node = ring.nodes[i++ % ring.nodes.length]!;
    const now = await node.get(key, { r: 3 }).catch((e: unknown) => ({ values: [`error: ${String(e)}`], context: '' }));
    if (JSON.stringify(now) === JSON.stringify(before)) continue;
    out.push(`${node.id}: ${key} read ${JSON.stringify(now).slice(0, 200)}, was ${JSON.stringify(before).slice(0, 200)}`);
    if (out.length >= 5) break;
  }
  return out;
}

export async function checkServes(ring: Ring): Promise<string[]> {
  const out: string[] = [];
  for (const node of ring.nodes) {
    const key = `after:${node.id}`;
    try {
      await node.put(key, { by: node.id }, undefined, { w: 3 });
      const read = await node.get(key, { r: 3 });
      if (JSON.stringify(read.values) !== JSON.stringify([{ by: node.id }])) out.push(`${node.id}: fresh key read ${JSON.stringify(read.values)}`);
    } catch (err) {
      out.push(`${node.id}: a fresh write or read failed: ${String(err)}`);
    }
  }
  return out;
}

/** Every stored set and hint parses and could be shipped in one message. */
export async function checkStorage(ring: Ring): Promise<string[]> {
  const out: string[] = [];
  const q = FUZZ_CONFIG.q!;
  for (const [i, storage] of ring.storages.entries()) {
    const bad = (what: string, value: unknown) => {
      const why = problemWith(value);
      if (why && out.length < 5) out.push(`${ring.nodes[i]!.id}: ${what} ${why}`);
    };
    for (let p = 0; p < q; p++) for (const r of await scanAll(storage, p)) bad(`key ${r.key.slice(0, 60)}`, r.value);
    for (const h of await storage.listMeta('hint:')) bad(`hint ${h.name.slice(0, 60)}`, (h.value as { set?: unknown }).set);
  }
  return out;
}

/** Why a stored set breaks "what a node stores it can ship": it does not parse, or it outgrew the bounds. */
function problemWith(value: unknown): string | undefined {
  let set: versions.SiblingSet;
  try {
    set = versions.fromJson(value);
  } catch (err) {
    return `does not parse: ${String(err).slice(0, 120)}`;
  }
  const chars = JSON.stringify(value).length;
  if (chars > MAX_MESSAGE_CHARS) return `is ${chars} chars, more than a message holds`;
  // versions.ts: merges may take a set to twice the write-time bound, no further.
  const values = set.siblings.reduce((n, s) => n + (s.tombstone ? 0 : JSON.stringify(s.value).length), 0);
  return set.siblings.length > 1 && values > 2 * versions.MAX_SET_CHARS ? `holds ${values} chars of values, past twice the write bound` : undefined;
}

async function scanAll(storage: Storage, partition: number) {
  const out = [];
  let after: string | undefined;
  do {
    const page = await storage.scanPartition(partition, { after, limit: 500 });
    out.push(...page.records);
    after = page.next;
  } while (after !== undefined);
  return out;
}

/**
 * A fourth node joins and then leaves; every member must see both within the deadline, and the
 * leaving node must hand over every key it took but those a replica refused to merge. The leave is a change ordered after everything in
 * the history, so a history the fuzzing broke shows here; keys the ring can no longer move, too.
 */
export async function checkMembership(ring: Ring, rng: SeededRandom): Promise<string[]> {
  const id = 'n3';
  const node = await DynamoCore.start({ id, transport: ring.net.open(id), storage: memoryStorage(), clock: systemClock, random: rng.fork(id) }, FUZZ_CONFIG);
  const lists = (n: DynamoCore) => n.members().some((m) => m.id === id);
  const views = () =>
    [...ring.nodes, node]
      .map((n) => `${n.id}: ${n.members().map((m) => m.id).join(',')} (${n.membership().digest}, last seq ${n.membership().changes.at(-1)?.seq}, drops ${JSON.stringify(n.stats().messages.dropsByPeer)})`)
      .join('; ');
  try {
    await until(() => [...ring.nodes, node].every(lists), 15_000, 'the new member listed everywhere');
    const left = await node.leave({ timeoutMs: 10_000 });
    await until(() => !ring.nodes.some(lists), 15_000, 'the member gone everywhere');
    // A key a replica refused to merge (the hostile peer planted copies that cannot meet) stays with
    // the leaver and keeps its partition pending, by design (refusals.ts): the leave says so.
    const unmergeable = node.stats().unmergeable;
    if (left.complete || unmergeable.parked > 0) return [];
    return [`a leave could not hand everything over in 10 s: ${JSON.stringify(left)}, unmergeable ${JSON.stringify(unmergeable)}`];
  } catch (err) {
    return [`a join and a leave did not converge: ${String(err)}; views ${views()}`];
  } finally {
    await node.stop();
  }
}
