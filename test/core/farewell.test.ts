// A closing tab hands its hints over (farewell.ts, issue 19): to their owner when it is linked, else
// to another live node of the key's walk that keeps them for the owner; bounded; synchronous.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { MemoryStorageBacking } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { handOff, type HandOffDeps } from '../../src/core/farewell';
import { DynamoCore, type NodeConfig } from '../../src/core/node';
import type { Message } from '../../src/core/protocol/messages';
import { until } from '../support/wait';

describe('handOff: where each hint goes', () => {
  const hints = (owners: Record<string, string[]>): HandOffDeps['hints'] => ({
    owners: () => Object.keys(owners),
    batch: (owner, max) => (owners[owner] ?? []).slice(0, max).map((key) => ({ key, set: { v: key }, held: undefined as never })),
    count: () => Object.values(owners).reduce((n, keys) => n + keys.length, 0),
  });
  const run = (opts: { owners: Record<string, string[]>; walk: string[]; healthy: string[]; linked: string[] }, limits?: { sets: number; chars: number }) => {
    const sent: Array<[string, Message]> = [];
    const deps: HandOffDeps = {
      self: 'me',
      hints: hints(opts.owners),
      walk: () => opts.walk,
      healthy: (id) => opts.healthy.includes(id),
      send: (to, msg) => opts.linked.includes(to) && sent.push([to, msg]) > 0,
    };
    return { result: handOff(deps, limits), sent };
  };

  it('sends a hint to its owner when the owner is up and linked, as a plain replica write', () => {
    const { result, sent } = run({ owners: { x: ['k'] }, walk: ['x', 'me', 'y'], healthy: ['x', 'y'], linked: ['x', 'y'] });
    expect(result).toEqual({ toOwner: 1, toFallback: 0, kept: 0 });
    expect(sent).toEqual([['x', { type: 'put', id: 0, key: 'k', set: { v: 'k' } }]]);
  });

  it('else to the first healthy, linked node of the walk that is neither itself nor the owner, naming the owner', () => {
    const { result, sent } = run({ owners: { x: ['k'] }, walk: ['x', 'me', 'y', 'z', 'w'], healthy: ['y', 'z', 'w'], linked: ['z', 'w'] });
    expect(result).toEqual({ toOwner: 0, toFallback: 1, kept: 0 });
    expect(sent).toEqual([['z', { type: 'put', id: 0, key: 'k', set: { v: 'k' }, hintFor: 'x' }]]);
  });

  it('keeps what no live node can take, and what is past the budget', () => {
    expect(run({ owners: { x: ['k'] }, walk: ['x', 'me'], healthy: [], linked: ['x'] }).result).toEqual({ toOwner: 0, toFallback: 0, kept: 1 });
    const many = { x: Array.from({ length: 10 }, (_, i) => `k${i}`) };
    const bySets = run({ owners: many, walk: ['x'], healthy: ['x'], linked: ['x'] }, { sets: 3, chars: 1e9 });
    expect(bySets.result).toEqual({ toOwner: 3, toFallback: 0, kept: 7 });
    const byChars = run({ owners: many, walk: ['x'], healthy: ['x'], linked: ['x'] }, { sets: 1e9, chars: 40 });
    expect(byChars.sent.length).toBeGreaterThan(0);
    expect(byChars.result.kept).toBe(10 - byChars.sent.length);
    expect(byChars.sent.length * 'k0{"v":"k0"}'.length).toBeLessThanOrEqual(40);
  });
});

let nodes: DynamoCore[] = [];
afterEach(async () => {
  for (const n of nodes) await n.stop();
  nodes = [];
});

describe('a closing node hands its hints over', () => {
  // No anti-entropy: the hint must reach its owner by handoff alone.
  const config: Partial<NodeConfig> = { q: 16, n: 2, r: 1, w: 1, antiEntropy: false };

  it('a hint held only by a closing node reaches its owner, which was down, through another node', async () => {
    const net = new MemoryNetwork();
    const disks = { t: new MemoryStorageBacking(), x: new MemoryStorageBacking(), y: new MemoryStorageBacking() };
    const start = (id: keyof typeof disks) => DynamoCore.start({ id, transport: net.open(id), storage: disks[id].open(), clock: systemClock, random: systemRandom }, config);
    const [t, x, y] = await Promise.all([start('t'), start('x'), start('y')]);
    nodes = [t, x, y];
    await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === 3), 5000, 'full ring');
    // A key x is a primary of; x goes away, and t, cut off from y, keeps the write alone (w 'any').
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => t.preferenceList(k).slice(0, 2).includes('x')) as string;
    await x.stop();
    net.cut('t', 'y');
    await until(() => t.members().every((m) => m.id === 't' || m.status === 'down'), 5000, 't sees x and y down');
    await t.put(key, 'kept', undefined, { w: 'any' });
    expect(t.stats().hints.pending).toBeGreaterThan(0);
    net.restore('t', 'y');
    await until(() => t.members().find((m) => m.id === 'y')?.status === 'up', 5000, 't sees y again');

    const result = t.handOffHints();
    expect(result).toMatchObject({ toOwner: 0, toFallback: 1 });
    await t.stop(); // the closing flush sends what handOffHints queued
    await until(() => y.stats().hints.pending > 0, 5000, 'y keeps the hint for x');

    nodes[1] = await start('x');
    await until(() => y.stats().hints.delivered > 0, 5000, 'y delivers it to x');
    await y.stop();
    expect((await nodes[1]!.get(key, { r: 1 })).values).toEqual(['kept']);
  });

  it('a stopped node hands nothing over and says what it keeps', async () => {
    const net = new MemoryNetwork();
    const a = await DynamoCore.start({ id: 'a', transport: net.open('a'), storage: new MemoryStorageBacking().open(), clock: systemClock, random: systemRandom }, config);
    await a.stop();
    expect(a.handOffHints()).toEqual({ toOwner: 0, toFallback: 0, kept: 0 });
  });
});
