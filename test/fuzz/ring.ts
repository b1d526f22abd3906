// The fuzzer's live ring: three DynamoCore members over a MemoryNetwork with memory storage, gossip and
// anti-entropy running fast, a tap recording the frames members send each other (the seed corpus),
// and a hostile peer opened on the same network. Also the pre-fuzz writes and what reads returned.

import { MemoryNetwork, type MemoryTransport } from '../../src/adapters/memory/transport';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock } from '../../src/adapters/system/clock';
import { DynamoCore, type NodeConfig } from '../../src/core/node';
import type { Storage } from '../../src/ports/storage';
import type { SeededRandom } from '../../src/sim/random';
import { until } from '../support/wait';

export const MEMBERS = ['n0', 'n1', 'n2'];
export const HOSTILE = 'evil';

/** Fast background work, so exchanges and gossip happen during a short run; q small enough for hash rounds. */
export const FUZZ_CONFIG: Partial<NodeConfig> = { q: 16, gossipIntervalMs: 100, aaeGapMs: 2, aaeSweepPauseMs: 500 };

export interface Ring {
  net: MemoryNetwork;
  nodes: DynamoCore[];
  storages: Storage[];
  transports: MemoryTransport[];
  hostile: MemoryTransport;
  /** Frames members sent each other while the tap was on. */
  captured: string[];
  tap: { on: boolean };
  stop(): Promise<void>;
}

const MAX_CAPTURED = 20_000;

export async function openRing(rng: SeededRandom): Promise<Ring> {
  const net = new MemoryNetwork();
  const captured: string[] = [];
  const tap = { on: true };
  const transports = MEMBERS.map((id) => {
    const t = net.open(id);
    const send = t.send.bind(t);
    t.send = (to, data) => {
      if (tap.on && MEMBERS.includes(to) && captured.length < MAX_CAPTURED) captured.push(data);
      return send(to, data);
    };
    return t;
  });
  const storages = MEMBERS.map(() => memoryStorage());
  const nodes = await Promise.all(
    MEMBERS.map((id, i) => DynamoCore.start({ id, transport: transports[i]!, storage: storages[i]!, clock: systemClock, random: rng.fork(id) }, FUZZ_CONFIG)),
  );
  const hostile = net.open(HOSTILE);
  const linked = () => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === MEMBERS.length) && MEMBERS.every((m) => hostile.peers().includes(m));
  await until(linked, 10_000, 'a full ring and the hostile peer linked');
  const stop = async () => {
    for (const n of nodes) await n.stop();
    await hostile.close();
  };
  return { net, nodes, storages, transports, hostile, captured, tap, stop };
}

/** What a read returned: compared exactly after the fuzzing. */
export interface Snapshot {
  values: unknown[];
  context: string;
}

/**
 * Writes `count` keys through the API, ten at a time: plain values, a few larger ones, siblings
 * (blind writes on a key that holds a value) and a delete; some while n2 is cut off, so
 * anti-entropy repairs them with handoffs (captured too). Resolves to what an R=3 read returned.
 */
export async function prewrite(ring: Ring, rng: SeededRandom, count = 300): Promise<Map<string, Snapshot>> {
  const [a, b] = ring.nodes as [DynamoCore, DynamoCore, DynamoCore];
  const keys = Array.from({ length: count }, (_, i) => `pw:${i}`);
  const write = async (i: number, cut: boolean) => {
    const coordinator = () => (cut ? rng.pick([a, b]) : rng.pick(ring.nodes));
    const value = i % 50 === 7 ? 'L'.repeat(100_000 + i) : { i, tag: rng.uint32().toString(36) };
    await coordinator().put(keys[i]!, value);
    if (i % 20 === 3) await coordinator().put(keys[i]!, `sibling of ${i}`);
  };
  for (let i = 0; i < count; i += 10) {
    const cut = i >= 100 && i < 130;
    if (i === 100) for (const m of ['n0', 'n1']) ring.net.cut('n2', m);
    if (i === 130) {
      for (const m of ['n0', 'n1']) ring.net.restore('n2', m);
      await until(() => ring.nodes.every((n) => n.members().every((m) => m.status === 'up')), 10_000, 'n2 back');
    }
    await Promise.all(keys.slice(i, i + 10).map((_, j) => write(i + j, cut)));
  }
  const doomed = keys[11]!;
  await a.delete(doomed, (await a.get(doomed)).context);
  const reads = await Promise.all(keys.map((key) => a.get(key, { r: 3 })));
  return new Map(keys.map((key, i) => [key, reads[i]!]));
}
