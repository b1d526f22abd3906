// Zones (issue 19): a join names its zone and role, every view keeps them (bases too), and placement
// spreads a key's N replicas over as many zones as the ring has.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { MemoryStorageBacking } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { MembershipView } from '../../src/core/membership';
import { applyChange, chainChange, chainDigest, emptyChain, emptyFold } from '../../src/core/membership-fold';
import { fromBase, toBase } from '../../src/core/membership-base';
import { DynamoCore } from '../../src/core/node';
import { spread } from '../../src/core/placement';
import { assign } from '../../src/core/ring';
import { isBase, isChange, type Change } from '../../src/core/protocol/membership';
import type { Storage } from '../../src/ports/storage';
import { until } from '../support/wait';

const Q = 16;
const join = (node: string, seq: number, zone?: string, role?: 'tab' | 'replica'): Change => ({ node, kind: 'join', seq, by: node, ...(zone ? { zone } : {}), ...(role ? { role } : {}) });

describe('spread: a walk over zones', () => {
  const zones = new Map([['a1', 'A'], ['a2', 'A'], ['a3', 'A'], ['b1', 'B'], ['b2', 'B'], ['c1', 'C']]);

  it('takes the first node of each zone in walk order, then the fallbacks in zones the N lack first', () => {
    expect(spread(['a1', 'a2', 'b1', 'a3', 'c1', 'b2'], 3, zones)).toEqual(['a1', 'b1', 'c1', 'a2', 'a3', 'b2']);
    expect(spread(['a1', 'a2', 'x', 'b1'], 2, zones)).toEqual(['a1', 'x', 'b1', 'a2']); // x names no zone: its own, and new
  });

  it('tops up in walk order when the ring has fewer zones than N', () => {
    expect(spread(['a1', 'a2', 'b1', 'a3'], 3, zones)).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(spread(['a1', 'a2', 'a3'], 3, zones)).toEqual(['a1', 'a2', 'a3']);
  });

  it('is the plain walk when nobody named a zone', () => {
    const walk = ['n3', 'n1', 'n2'];
    expect(spread(walk, 2, new Map())).toBe(walk);
    expect(spread(walk, 2, undefined)).toBe(walk);
  });
});

describe('zones in membership', () => {
  it('accepts attributes on joins only, bounded', () => {
    expect(isChange(join('n1', 1, 'browser-1', 'tab'))).toBe(true);
    expect(isChange({ node: 'n1', kind: 'leave', seq: 2, by: 'n1', zone: 'z' })).toBe(false);
    expect(isChange(join('n1', 1, 'z'.repeat(65)))).toBe(false);
    expect(isChange({ ...join('n1', 1), role: 'server' })).toBe(false);
    expect(isChange({ ...join('n1', 1), zone: '' })).toBe(false);
  });

  it('a rejoin moves a member to its new zone, and the digest tells the two histories apart', () => {
    const v = new MembershipView(Q, [join('n1', 1, 'A'), join('n2', 2, 'B')]);
    expect(v.attributesOf('n1')).toEqual({ zone: 'A' });
    const before = v.zones();
    expect([...before]).toEqual([['n1', 'A'], ['n2', 'B']]);
    expect(v.zones()).toBe(before); // same map while nothing changed: placement caches walks by it
    v.merge([join('n1', 3, 'C', 'replica')]);
    expect(v.attributesOf('n1')).toEqual({ zone: 'C', role: 'replica' });
    expect(v.zones().get('n1')).toBe('C');
    const other = new MembershipView(Q, [join('n1', 1, 'A'), join('n2', 2, 'B'), join('n1', 3, 'D', 'replica')]);
    expect(other.digest).not.toBe(v.digest);
  });

  it('a base keeps zones and roles, and a view that adopts it places keys alike', () => {
    const f = emptyFold();
    const chain = emptyChain();
    for (const c of [join('n1', 1, 'A', 'replica'), join('n2', 2), join('n3', 3, 'B')]) {
      applyChange(f, c);
      chainChange(chain, c);
    }
    const base = toBase(f, assign(undefined, ['n1', 'n2', 'n3'], Q), chain, 3);
    expect(isBase(JSON.parse(JSON.stringify(base)), Q)).toBe(true);
    expect(isBase({ ...base, nodes: [['n1', 'member', 1, 'A', 'server'], ...base.nodes.slice(1)] }, Q)).toBe(false);
    expect(base.nodes).toEqual([['n1', 'member', 1, 'A', 'replica'], ['n2', 'member', 2], ['n3', 'member', 3, 'B', '']]);
    const back = fromBase(base);
    expect(back.fold.states.get('n1')).toEqual({ state: 'member', seq: 1, zone: 'A', role: 'replica' });
    expect(back.fold.states.get('n3')).toEqual({ state: 'member', seq: 3, zone: 'B' });
    expect(chainDigest(back.chain)).toBe(chainDigest(chain));
  });
});

let nodes: DynamoCore[] = [];
afterEach(async () => {
  for (const n of nodes) await n.stop();
  nodes = [];
});

describe('zones in a ring', () => {
  it("every key's N replicas span N zones, members() shows zones and kinds, and a node restarted in another zone moves there", async () => {
    const net = new MemoryNetwork();
    const zoneOf: Record<string, string> = { n0: 'A', n1: 'A', n2: 'B', n3: 'B' };
    const disks: Record<string, MemoryStorageBacking> = {};
    const start = (id: string, zone: string, storage: Storage = (disks[id] = new MemoryStorageBacking()).open()) =>
      DynamoCore.start({ id, transport: net.open(id), storage, clock: systemClock, random: systemRandom }, { q: Q, n: 2, r: 1, w: 1, zone, kind: id === 'n3' ? 'replica' : 'tab' });
    nodes = await Promise.all(Object.entries(zoneOf).map(([id, z]) => start(id, z)));
    await until(() => nodes.every((n) => n.members().length === 4 && n.members().every((m) => m.status === 'up')), 5000, 'full ring');
    expect(nodes[0]!.members().map((m) => [m.id, m.zone, m.kind])).toEqual([['n0', 'A', 'tab'], ['n1', 'A', 'tab'], ['n2', 'B', 'tab'], ['n3', 'B', 'replica']]);
    for (let i = 0; i < 50; i++) {
      const two = nodes[0]!.preferenceList(`k${i}`).slice(0, 2);
      expect(new Set(two.map((id) => zoneOf[id])).size).toBe(2);
    }
    await nodes[0]!.put('moving', 1, undefined, { w: 2 });
    // n1 comes back in zone C: every view learns it, and keys follow.
    const n1 = nodes[1]!;
    await n1.stop();
    nodes[1] = await start('n1', 'C', disks.n1!.open());
    await until(() => nodes.every((n) => n.members().find((m) => m.id === 'n1')?.zone === 'C'), 5000, 'n1 in zone C everywhere');
    zoneOf.n1 = 'C';
    const spreadOver = (key: string) => new Set(nodes[2]!.preferenceList(key).slice(0, 2).map((id) => zoneOf[id])).size;
    for (let i = 0; i < 50; i++) expect(spreadOver(`k${i}`)).toBe(2);
    expect((await nodes[2]!.get('moving', { r: 2 })).values).toEqual([1]);
  });
});

