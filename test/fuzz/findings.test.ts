// Regressions for what the peer-protocol fuzzer (protocol.fuzz.test.ts) found: one test per defect,
// each a hostile peer's raw frames against a live ring (or the unit they broke), failing before its fix.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork, type MemoryTransport } from '../../src/adapters/memory/transport';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { AntiEntropy } from '../../src/core/antientropy';
import type { AaeMessage } from '../../src/core/protocol/antientropy';
import { seal } from '../../src/core/protocol/messages';
import { DynamoCore } from '../../src/core/node';
import { until } from '../support/wait';

let nodes: DynamoCore[] = [];
afterEach(async () => {
  for (const n of nodes) await n.stop();
  nodes = [];
});

/** Three members and a hostile peer linked to them; `evil.send` delivers raw frames. */
async function ringWithHostile(): Promise<{ net: MemoryNetwork; nodes: DynamoCore[]; evil: MemoryTransport }> {
  const net = new MemoryNetwork();
  nodes = await Promise.all(['n0', 'n1', 'n2'].map((id) => DynamoCore.start({ id, transport: net.open(id), storage: memoryStorage(), clock: systemClock, random: systemRandom }, { q: 16 })));
  const evil = net.open('evil');
  await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === 3) && evil.peers().length === 3, 5000, 'ring and hostile peer');
  return { net, nodes, evil };
}

function drops(node: DynamoCore, reason: string): number {
  return node.stats().messages.dropReasons[reason] ?? 0;
}

describe('anti-entropy messages', () => {
  it('a bad payload, a partition out of range and a step of no exchange are counted as drops (seed 4)', async () => {
    const { nodes, evil } = await ringWithHostile();
    const n0 = nodes[0]!;
    const good = { v: 1, r: 0, n: 0, of: 1, cfg: [4, 4], items: [] };
    evil.send('n0', seal(JSON.stringify({ type: 'aae', id: 0, x: 1, p: 0, init: true, payload: { v: 2 } })));
    evil.send('n0', seal(JSON.stringify({ type: 'aae', id: 0, x: 2, p: 16, init: true, payload: good })));
    evil.send('n0', seal(JSON.stringify({ type: 'aae', id: 0, x: 3, p: 0, init: false, payload: { ...good, r: 1 } })));
    await until(() => (n0.stats().messages.dropsByPeer['evil'] ?? 0) >= 3, 2000, 'three drops');
    expect([drops(n0, 'aae-payload'), drops(n0, 'aae-partition'), drops(n0, 'aae-no-exchange')]).toEqual([1, 1, 1]);
  });
});

/** A set that parses, with `actors` clock entries named after `tag` and one sibling. */
function wideSet(tag: string, actors = 1024) {
  const names = Array.from({ length: actors }, (_, i) => `${tag}-${String(i).padStart(4, '0')}`);
  return { clock: names.map((n) => [n, 1, 0]), siblings: [{ dot: [names[0], 1], ts: 0, value: tag }] };
}

/** Sends `msg` from the hostile peer and resolves to the member's put-ack. */
function ask(evil: MemoryTransport, to: string, msg: { id: number } & Record<string, unknown>): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve) => {
    const off = evil.onMessage((from, raw) => {
      const m = JSON.parse(raw.slice(8)) as { type: string; id: number; ok: boolean; error?: string };
      if (from === to && m.type === 'put-ack' && m.id === msg.id) resolve((off(), m));
    });
    evil.send(to, seal(JSON.stringify(msg)));
  });
}

describe('reap notices', () => {
  it('a notice from a peer that is no primary of the key is counted as dropped (seed 1)', async () => {
    const { nodes, evil } = await ringWithHostile();
    const n0 = nodes[0]!;
    await n0.put('gone', 1);
    await n0.delete('gone', (await n0.get('gone')).context);
    evil.send('n0', seal(JSON.stringify({ type: 'reaped', id: 0, items: [{ key: 'gone', digest: 'AAAAAAAAAAAAAAAAAAAAAA' }] })));
    await until(() => drops(n0, 'reaped-ignored') === 1, 2000, 'the notice counted');
    expect(n0.stats().messages.dropsByPeer['evil']).toBe(1);
  });
});

describe('sibling sets from peers', () => {
  it('a merge whose clock would outgrow the parser is refused, and the key stays readable (seed 1)', async () => {
    const { nodes, evil } = await ringWithHostile();
    const n0 = nodes[0]!;
    expect(await ask(evil, 'n0', { type: 'put', id: 1, key: 'wide', set: wideSet('a') })).toMatchObject({ ok: true });
    expect(await ask(evil, 'n0', { type: 'put', id: 2, key: 'wide', set: wideSet('b') })).toMatchObject({ ok: false, error: 'ValidationError' });
    expect((await n0.get('wide', { r: 1 })).values).toEqual(['a']);
    // The same for hints kept for another member.
    expect(await ask(evil, 'n0', { type: 'put', id: 3, key: 'wide-hint', set: wideSet('a'), hintFor: 'n1' })).toMatchObject({ ok: true });
    expect(await ask(evil, 'n0', { type: 'put', id: 4, key: 'wide-hint', set: wideSet('b'), hintFor: 'n1' })).toMatchObject({ ok: false });
  });
});

describe('stored sets that do not parse', () => {
  it('anti-entropy leaves them out of the tree instead of throwing (from its timer, seed 3)', () => {
    const placement = { replicates: () => true, coReplicas: () => ['b'] };
    const io = { send: () => {}, push: async () => true, onRepair: () => {} };
    const timing = { gapMs: 1, sweepPauseMs: 1, exchangeTimeoutMs: 1000 };
    const aae = new AntiEntropy({ self: 'a', q: 1, clock: systemClock, random: systemRandom, storage: memoryStorage(), ring: () => undefined, placement, ...io, ...timing });
    // What an older version may have stored: a clock past today's bound.
    aae.stored('old', 0, { clock: Array.from({ length: 2000 }, (_, i) => [`x${i}`, 1, 0]), siblings: [] });
    const payload = { v: 1, r: 0, n: 0, of: 1, cfg: [4, 4], items: [{ d: 0, i: 0, k: [] }] };
    expect(() => aae.handle('b', { type: 'aae', id: 0, x: 1, p: 0, init: true, payload } as unknown as AaeMessage)).not.toThrow();
  });
});

describe('membership gossip', () => {
  it('a change at sequence 2^53-1 does not stop later changes from spreading (seed 6)', async () => {
    const { net, nodes, evil } = await ringWithHostile();
    // Harmless on its face: n0 is a member already. But the next proposal would get seq 2^53.
    const odd = { node: 'n0', kind: 'join', seq: 2 ** 53 - 1, by: 'n0' };
    for (const to of ['n0', 'n1', 'n2']) evil.send(to, seal(JSON.stringify({ type: 'gossip-state', id: 0, changes: [odd], reply: false })));
    const n3 = await DynamoCore.start({ id: 'n3', transport: net.open('n3'), storage: memoryStorage(), clock: systemClock, random: systemRandom }, { q: 16 });
    nodes.push(n3);
    const lists = (n: DynamoCore) => n.members().some((m) => m.id === 'n3');
    await until(() => nodes.every(lists), 5000, 'n3 listed everywhere');
    await n3.leave({ timeoutMs: 5000 });
    await until(() => !nodes.some((n) => n !== n3 && lists(n)), 5000, 'n3 gone everywhere');
  });
});

describe('handoff', () => {
  it('a set that does not parse refuses the whole handoff: nothing applied, nothing left unobserved (seed 5)', async () => {
    const { nodes, evil } = await ringWithHostile();
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => void escaped.push(err);
    process.on('unhandledRejection', onEscape);
    try {
      expect(await ask(evil, 'n0', { type: 'put', id: 1, key: 'wide', set: wideSet('a') })).toMatchObject({ ok: true });
      // The first set is refused when merged (see above), the second is new, the third does not parse.
      const sets = [{ key: 'wide', set: wideSet('b') }, { key: 'fresh', set: wideSet('c', 1) }, { key: 'bad', set: { clock: 'no' } }];
      evil.send('n0', seal(JSON.stringify({ type: 'handoff', id: 2, sets })));
      await until(() => drops(nodes[0]!, 'handler-ValidationError') === 1, 2000, 'the handoff refused');
      const reply = await new Promise<{ set: unknown }>((resolve) => {
        evil.onMessage((_from, raw) => (JSON.parse(raw.slice(8)) as { type: string }).type === 'get-reply' && resolve(JSON.parse(raw.slice(8)) as { set: unknown }));
        evil.send('n0', seal(JSON.stringify({ type: 'get', id: 3, key: 'fresh' })));
      });
      expect(reply.set).toBeNull();
      expect(escaped).toEqual([]);
    } finally {
      process.off('unhandledRejection', onEscape);
    }
  });
});

describe('a key two replicas hold in sets that cannot merge', () => {
  it('is refused alone: the rest of a handoff is applied and acked, so shipments and leaves finish (seed 1)', async () => {
    const { nodes, evil } = await ringWithHostile();
    expect(await ask(evil, 'n0', { type: 'put', id: 1, key: 'poison', set: wideSet('a') })).toMatchObject({ ok: true });
    let ack: { type: string; refused?: string[] } | undefined;
    evil.onMessage((_from, raw) => {
      const m = JSON.parse(raw.slice(8)) as { type: string; refused?: string[] };
      if (m.type === 'handoff-ack') ack = m;
    });
    const sets = [{ key: 'poison', set: wideSet('b') }, { key: 'fine', set: wideSet('c', 1) }];
    evil.send('n0', seal(JSON.stringify({ type: 'handoff', id: 2, sets })));
    await until(() => ack !== undefined || drops(nodes[0]!, 'handler-ValidationError') > 0, 2000, 'an ack or a refusal');
    // The ack names the refused key, so the sender parks it instead of resending it (refusals.ts).
    expect(ack).toEqual({ type: 'handoff-ack', id: 2, refused: ['poison'] });
    expect(drops(nodes[0]!, 'handoff-set-refused')).toBe(1);
    expect((await nodes[0]!.get('fine', { r: 1 })).values).toEqual(['c']);
    expect((await nodes[0]!.get('poison', { r: 1 })).values).toEqual(['a']);
  });
});

describe('replicas whose copies of a key cannot be merged', () => {
  it('anti-entropy stops pushing the key after the first refusal each way, and stats say so', async () => {
    const net = new MemoryNetwork();
    const config = { q: 16, aaeGapMs: 2, aaeSweepPauseMs: 20 };
    nodes = await Promise.all(['n0', 'n1', 'n2'].map((id) => DynamoCore.start({ id, transport: net.open(id), storage: memoryStorage(), clock: systemClock, random: systemRandom }, config)));
    const evil = net.open('evil');
    await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === 3) && evil.peers().length === 3, 5000, 'ring and hostile peer');
    // Two copies each within the bounds, whose merge is not (1024 + 1024 clock entries).
    expect(await ask(evil, 'n0', { type: 'put', id: 1, key: 'split', set: wideSet('a') })).toMatchObject({ ok: true });
    expect(await ask(evil, 'n1', { type: 'put', id: 2, key: 'split', set: wideSet('b') })).toMatchObject({ ok: true });
    const sweeps = () => Math.min(...nodes.map((n) => n.stats().antiEntropy.sweeps));
    const refused = () => nodes.reduce((sum, n) => sum + drops(n, 'handoff-set-refused'), 0);
    const start = sweeps();
    await until(() => sweeps() >= start + 10, 20_000, 'ten sweeps');
    const after10 = refused();
    expect(after10).toBeGreaterThan(0);
    await until(() => sweeps() >= start + 30, 40_000, 'twenty more sweeps');
    expect(refused()).toBe(after10);
    const unmergeable = nodes.map((n) => n.stats().unmergeable);
    expect(unmergeable.reduce((sum, u) => sum + u.refused, 0)).toBe(after10);
    expect(unmergeable.reduce((sum, u) => sum + u.parked, 0)).toBeGreaterThan(0);
    // Both copies are still held where they were written: nothing acknowledged was dropped.
    expect((await nodes[0]!.get('split', { r: 1 })).values).toContain('a');
    expect(await ask(evil, 'n1', { type: 'put', id: 3, key: 'split', set: wideSet('b') })).toMatchObject({ ok: true });
  });
});

describe('leave', () => {
  it('tells every peer the leave itself, not a digest they must come back for (seed 1)', async () => {
    const { net, nodes } = await ringWithHostile();
    const t3 = net.open('n3');
    const n3 = await DynamoCore.start({ id: 'n3', transport: t3, storage: memoryStorage(), clock: systemClock, random: systemRandom }, { q: 16 });
    nodes.push(n3);
    const lists = (n: DynamoCore) => n.members().some((m) => m.id === 'n3');
    await until(() => nodes.every(lists), 5000, 'n3 listed everywhere');
    // From here n3 hears no gossip: like a node that stopped before its peers asked for its history.
    const deliver = t3.deliver.bind(t3);
    t3.deliver = (from, data) => {
      if (!data.includes('"type":"gossip')) deliver(from, data);
    };
    await n3.leave({ timeoutMs: 5000 });
    await until(() => !nodes.some((n) => n !== n3 && lists(n)), 3000, 'n3 gone everywhere');
  });
});

describe('sets grown by merges', () => {
  it('a merge whose values outgrow twice the write bound is refused, so the key still ships (seed 1)', async () => {
    const { nodes, evil } = await ringWithHostile();
    const answers: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const set = { clock: [[`a${i}`, 1, 0]], siblings: [{ dot: [`a${i}`, 1], ts: 0, value: 'v'.repeat(900_000) }] };
      answers.push((await ask(evil, 'n0', { type: 'put', id: i + 1, key: 'big', set })).ok);
    }
    // Nine siblings of 900,000 chars fit in 8 Mi; the tenth would not.
    expect(answers).toEqual([...Array(9).fill(true), false, false, false]);
    expect((await nodes[1]!.get('big', { r: 3 })).values).toHaveLength(9);
  });
});
