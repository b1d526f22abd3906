// Drops counted by peer: malformedByPeer holds only messages that failed the checksum or validation,
// so a tab sending bad frames shows as that tab, and a slow peer's late replies do not.

import { afterEach, describe, expect, it } from 'vitest';
import { FaultyTransport } from '../../src/adapters/faults/transport';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { Counters } from '../../src/core/counters';
import { DynamoCore } from '../../src/core/node';
import type { Transport } from '../../src/ports/transport';
import { seededRandom } from '../../src/sim/random';
import { until } from '../support/wait';

describe('Counters', () => {
  it('counts a malformed message under its reason, dropsByPeer and malformedByPeer; other drops only under the first two', () => {
    const c = new Counters();
    c.malformed('bad-checksum', 'b');
    c.malformed('bad-json', 'b');
    c.drop('unmatched-reply', 'a');
    const m = c.snapshot().messages;
    expect(m.dropped).toBe(3);
    expect({ ...m.dropReasons }).toEqual({ 'bad-checksum': 1, 'bad-json': 1, 'unmatched-reply': 1 });
    expect({ ...m.dropsByPeer }).toEqual({ a: 1, b: 2 });
    expect({ ...m.malformedByPeer }).toEqual({ b: 2 });
  });

  it('names at most 64 peers; the rest, "__proto__" included, count as other', () => {
    const c = new Counters();
    for (let i = 0; i < 64; i++) c.malformed('bad-checksum', `p${i}`);
    c.malformed('bad-checksum', '__proto__');
    c.malformed('bad-checksum', 'p0');
    const m = c.snapshot().messages.malformedByPeer;
    expect(Object.keys(m)).toHaveLength(65);
    expect(m.other).toBe(1);
    expect(m.p0).toBe(2);
  });
});

describe('a peer that corrupts what it sends', () => {
  let nodes: DynamoCore[] = [];
  afterEach(async () => {
    for (const n of nodes) await n.stop();
    nodes = [];
  });

  it('is counted by name on the others, who keep serving writes among themselves', async () => {
    const net = new MemoryNetwork();
    const bad = new FaultyTransport(net.open('n2'), seededRandom(7));
    const start = (id: string, transport: Transport = net.open(id)) =>
      DynamoCore.start({ id, transport, storage: memoryStorage(), clock: systemClock, random: systemRandom });
    nodes = [await start('n0'), await start('n1'), await start('n2', bad)];
    const [a, b] = nodes as [DynamoCore, DynamoCore, DynamoCore];
    await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === 3), 5000, 'full ring');
    bad.corrupt(1);
    await until(() => (a.stats().messages.malformedByPeer.n2 ?? 0) > 0 && (b.stats().messages.malformedByPeer.n2 ?? 0) > 0, 5000, 'drops from n2');
    await a.put('k', 'v', undefined, { w: 2 });
    expect((await b.get('k', { r: 2 })).values).toEqual(['v']);
    for (const n of [a, b]) {
      const m = n.stats().messages;
      expect(Object.keys(m.malformedByPeer)).toEqual(['n2']);
      expect(m.dropReasons['bad-checksum']).toBe(m.malformedByPeer.n2);
    }
  });
});
