// Simulated network: delays, FIFO and reordering, loss and duplication, partitions and crashes as
// silence, disconnect and reconnect, strict up/down alternation under chaos, seed determinism, and a
// throughput smoke.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ports/transport';
import { VirtualClock } from '../../src/sim/clock';
import { type SimNetworkConfig, SimNetwork, type SimTransport } from '../../src/sim/network';
import { type SeededRandom, seededRandom } from '../../src/sim/random';

interface World {
  clock: VirtualClock;
  net: SimNetwork;
  rng: SeededRandom;
  t: Record<NodeId, SimTransport>;
}

function world(seed: number, ids: NodeId[], config: Partial<SimNetworkConfig> = {}): World {
  const clock = new VirtualClock();
  const rng = seededRandom(seed);
  const net = new SimNetwork(clock, rng.fork('network'), config);
  const t: Record<NodeId, SimTransport> = {};
  for (const id of ids) t[id] = net.open(id);
  return { clock, net, rng, t };
}

function meshUp(w: World): void {
  const ts = Object.values(w.t);
  const ok = w.clock.runUntil(() => ts.every((t) => t.peers().length === ts.length - 1));
  expect(ok).toBe(true);
}

/** Records every event a transport emits, as "up:b", "down:b", "msg:b:data". */
function listen(t: SimTransport): string[] {
  const log: string[] = [];
  t.onPeerUp((p) => log.push(`up:${p}`));
  t.onPeerDown((p) => log.push(`down:${p}`));
  t.onMessage((f, d) => log.push(`msg:${f}:${d}`));
  return log;
}

const tx = (w: World, id: NodeId) => w.t[id] as SimTransport;

describe('SimNetwork', () => {
  it('announces peers asynchronously, one link delay after open', () => {
    const w = world(1, ['a', 'b'], { minDelayMs: 5, maxDelayMs: 5 });
    expect(tx(w, 'a').peers()).toEqual([]);
    const log = listen(tx(w, 'a'));
    w.clock.advance(4.9);
    expect(log).toEqual([]);
    w.clock.advance(0.1);
    expect(log).toEqual(['up:b']);
    expect(tx(w, 'b').peers()).toEqual(['a']);
  });

  it('delivers each message within [minDelayMs, maxDelayMs], in both modes', () => {
    for (const reorder of [false, true]) {
      const w = world(2, ['a', 'b'], { minDelayMs: 3, maxDelayMs: 8, reorder });
      meshUp(w);
      const latencies: number[] = [];
      tx(w, 'b').onMessage((_f, d) => latencies.push(w.clock.now() - Number(d)));
      for (let i = 0; i < 2000; i++) {
        tx(w, 'a').send('b', String(w.clock.now()));
        w.clock.advance(w.rng.next() * 2);
      }
      w.clock.runUntilIdle();
      expect(latencies).toHaveLength(2000);
      expect(Math.min(...latencies)).toBeGreaterThanOrEqual(3);
      expect(Math.max(...latencies)).toBeLessThanOrEqual(8);
      expect(Math.max(...latencies) - Math.min(...latencies)).toBeGreaterThan(4); // actually spread
    }
  });

  it('keeps per-link FIFO when reorder is false, with many senders interleaved', () => {
    const w = world(3, ['a', 'b', 'c', 'd'], { minDelayMs: 1, maxDelayMs: 50 });
    meshUp(w);
    const got: Record<string, number[]> = {};
    for (const id of ['a', 'b', 'c', 'd']) {
      tx(w, id).onMessage((from, d) => (got[`${from}->${id}`] ??= []).push(Number(d)));
    }
    const ids = ['a', 'b', 'c', 'd'];
    for (let i = 0; i < 4000; i++) {
      const from = w.rng.pick(ids);
      const to = w.rng.pick(ids.filter((x) => x !== from));
      tx(w, from).send(to, String(i));
      if (w.rng.chance(0.3)) w.clock.advance(w.rng.next() * 5);
    }
    w.clock.runUntilIdle();
    const links = Object.values(got);
    expect(links).toHaveLength(12);
    for (const seq of links) expect(seq).toEqual([...seq].sort((x, y) => x - y));
  });

  it('lets messages overtake when reorder is true', () => {
    const w = world(4, ['a', 'b'], { reorder: true });
    meshUp(w);
    const got: number[] = [];
    tx(w, 'b').onMessage((_f, d) => got.push(Number(d)));
    for (let i = 0; i < 100; i++) tx(w, 'a').send('b', String(i));
    w.clock.runUntilIdle();
    expect(got).toHaveLength(100);
    expect(got).not.toEqual([...got].sort((x, y) => x - y));
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('loses and duplicates at roughly the configured rates', () => {
    const w = world(5, ['a', 'b'], { loss: 0.1, duplicate: 0.2 });
    meshUp(w);
    let received = 0;
    tx(w, 'b').onMessage(() => received++);
    const n = 20_000;
    for (let i = 0; i < n; i++) tx(w, 'a').send('b', 'x');
    w.clock.runUntilIdle();
    const s = w.net.stats();
    expect(s.sent).toBe(n);
    expect(s.droppedByLoss / n).toBeCloseTo(0.1, 1);
    expect(s.duplicated / (n - s.droppedByLoss)).toBeCloseTo(0.2, 1);
    expect(s.delivered).toBe(n - s.droppedByLoss + s.duplicated);
    expect(received).toBe(s.delivered);
    expect(s.dropped).toBe(s.droppedByLoss + s.droppedByCut);
  });

  it('applies per-link overrides in both directions, and clears them', () => {
    const w = world(6, ['a', 'b', 'c'], { minDelayMs: 1, maxDelayMs: 2 });
    meshUp(w);
    w.net.setLink('a', 'b', { minDelayMs: 40, maxDelayMs: 40 });
    const at: Record<string, number> = {};
    tx(w, 'b').onMessage((f) => (at[`${f}b`] = w.clock.now()));
    tx(w, 'a').onMessage((f) => (at[`${f}a`] = w.clock.now()));
    tx(w, 'a').send('b', 'x');
    tx(w, 'b').send('a', 'x');
    tx(w, 'c').send('b', 'x');
    const t0 = w.clock.now();
    w.clock.runUntilIdle();
    expect(at['ab']! - t0).toBe(40);
    expect(at['ba']! - t0).toBe(40);
    expect(at['cb']! - t0).toBeLessThanOrEqual(2);
    w.net.setLink('a', 'b', { loss: 1 });
    tx(w, 'a').send('b', 'lost');
    w.clock.runUntilIdle();
    expect(w.net.stats().droppedByLoss).toBe(1);
    w.net.setLink('a', 'b', null);
    const t1 = w.clock.now();
    tx(w, 'a').send('b', 'x');
    w.clock.runUntilIdle();
    expect(at['ab']! - t1).toBeLessThanOrEqual(2);
    expect(() => w.net.setLink('a', 'b', { minDelayMs: 5, maxDelayMs: 1 })).toThrow(RangeError);
    expect(() => new SimNetwork(new VirtualClock(), seededRandom(1), { loss: 2 })).toThrow(RangeError);
  });

  it('partitions are silence: no events, cross messages lost, and the links still stand after the heal', () => {
    const w = world(7, ['a', 'b', 'c']);
    meshUp(w);
    const logs = { a: listen(tx(w, 'a')), b: listen(tx(w, 'b')), c: listen(tx(w, 'c')) };
    tx(w, 'a').send('b', 'in-flight');
    tx(w, 'b').send('c', 'same-side');
    w.net.partition([['a'], ['b', 'c']]);
    // Nobody is told: the send is accepted and lost, as on a real network.
    expect(tx(w, 'a').send('c', 'unknowing')).toBe(true);
    w.clock.runUntilIdle();
    expect(logs.a).toEqual([]);
    expect(logs.b).toEqual([]);
    expect(logs.c).toEqual(['msg:b:same-side']);
    expect(w.net.stats().droppedByCut).toBe(2);
    expect(tx(w, 'a').peers().sort()).toEqual(['b', 'c']);

    w.net.heal();
    w.clock.runUntilIdle();
    expect(logs.a).toEqual([]); // no down, no up: the link survived
    expect(tx(w, 'a').send('b', 'after heal')).toBe(true);
    w.clock.runUntilIdle();
    expect(logs.b).toEqual(['msg:a:after heal']);
  });

  it('puts unlisted nodes together in one group, and isolate cuts one node from everyone', () => {
    const w = world(8, ['a', 'b', 'c', 'd']);
    meshUp(w);
    const got: string[] = [];
    for (const id of ['a', 'b', 'c', 'd']) tx(w, id).onMessage((f) => got.push(`${f}${id}`));
    const everyone = () => {
      for (const x of ['a', 'b', 'c', 'd']) for (const y of ['a', 'b', 'c', 'd']) if (x !== y) tx(w, x).send(y, 'm');
      w.clock.runUntilIdle();
      return got.splice(0).sort();
    };
    w.net.partition([['a']]);
    expect(everyone()).toEqual(['bc', 'bd', 'cb', 'cd', 'db', 'dc']);
    w.net.heal();
    w.net.isolate('d');
    expect(everyone()).toEqual(['ab', 'ac', 'ba', 'bc', 'ca', 'cb']);
    expect(() => w.net.partition([['a'], ['a', 'b']])).toThrow(RangeError);
  });

  it('disconnect: this side hears down at once, the other side one link delay later, and they link again', () => {
    const w = world(9, ['a', 'b'], { minDelayMs: 5, maxDelayMs: 5, reconnectMs: 300 });
    meshUp(w);
    const logA = listen(tx(w, 'a'));
    const logB = listen(tx(w, 'b'));
    tx(w, 'b').send('a', 'in flight when dropped');
    const t0 = w.clock.now();
    tx(w, 'a').disconnect('b');
    expect(logA).toEqual(['down:b']);
    expect(tx(w, 'a').peers()).toEqual([]);
    expect(tx(w, 'a').send('b', 'x')).toBe(false);
    tx(w, 'a').disconnect('b'); // no link: nothing happens
    w.clock.advance(5);
    expect(logB).toEqual(['down:a']);
    w.clock.runUntil(() => logA.length === 2);
    expect(w.clock.now() - t0).toBe(300);
    expect(logA).toEqual(['down:b', 'up:b']);
    expect(logB).toEqual(['down:a', 'up:a']);
    expect(w.net.stats().droppedByCut).toBe(1);
  });

  it('disconnect across a cut: the other side hears nothing, and the pair links again after the heal', () => {
    const w = world(19, ['a', 'b']);
    meshUp(w);
    const logA = listen(tx(w, 'a'));
    const logB = listen(tx(w, 'b'));
    w.net.partition([['a'], ['b']]);
    tx(w, 'a').disconnect('b');
    w.clock.advance(10_000);
    expect(logA).toEqual(['down:b']);
    expect(logB).toEqual([]);
    expect(tx(w, 'b').send('a', 'into the void')).toBe(true);
    w.net.heal();
    w.clock.runUntilIdle();
    // The new link shows b that its old one is gone.
    expect(logA).toEqual(['down:b', 'up:b']);
    expect(logB).toEqual(['down:a', 'up:a']);
    tx(w, 'b').send('a', 'hello again');
    w.clock.runUntilIdle();
    expect(logA).toEqual(['down:b', 'up:b', 'msg:b:hello again']);
  });

  it('crash is silence; the restarted node links again, and its peer hears the old link go first', () => {
    const w = world(10, ['a', 'b']);
    meshUp(w);
    const logA = listen(tx(w, 'a'));
    const logB = listen(tx(w, 'b'));
    tx(w, 'a').send('b', 'never arrives');
    w.net.crash('b');
    expect(w.net.isUp('b')).toBe(false);
    expect(tx(w, 'b').send('a', 'from the dead')).toBe(false);
    w.clock.runUntilIdle();
    expect(logA).toEqual([]); // nothing tells a: its failure detector must notice the silence
    expect(logB).toEqual([]); // a dead process observes nothing
    expect(tx(w, 'a').send('b', 'lost')).toBe(true);
    w.clock.runUntilIdle();
    expect(w.net.stats().droppedByCut).toBe(2);

    const b2 = w.net.open('b');
    const logB2 = listen(b2);
    w.clock.runUntilIdle();
    expect(w.net.isUp('b')).toBe(true);
    expect(logA).toEqual(['down:b', 'up:b']);
    expect(logB2).toEqual(['up:a']);
    tx(w, 'a').send('b', 'welcome');
    w.clock.runUntilIdle();
    expect(logB2).toEqual(['up:a', 'msg:a:welcome']);
  });

  it('reopening an open id crashes the old transport first, keeping up/down alternating', () => {
    const w = world(11, ['a', 'b']);
    meshUp(w);
    const logA = listen(tx(w, 'a'));
    const old = tx(w, 'b');
    const b2 = w.net.open('b');
    expect(old.send('a', 'x')).toBe(false);
    w.clock.runUntilIdle();
    expect(logA).toEqual(['down:b', 'up:b']);
    expect(b2.peers()).toEqual(['a']);
  });

  it('a transport that closes itself hears its peers go down; peers hear it go down', async () => {
    const w = world(12, ['a', 'b', 'c']);
    meshUp(w);
    const logA = listen(tx(w, 'a'));
    const logB = listen(tx(w, 'b'));
    await tx(w, 'a').close();
    expect(logA.sort()).toEqual(['down:b', 'down:c']);
    w.clock.runUntilIdle();
    expect(logB).toEqual(['down:a']);
    await tx(w, 'a').close();
    expect(w.net.isUp('a')).toBe(false);
    // A goodbye does not cross a cut: c, cut off from b, must find out by silence.
    w.net.partition([['b'], ['c']]);
    const logC = listen(tx(w, 'c'));
    await tx(w, 'b').close();
    w.clock.runUntilIdle();
    expect(logC).toEqual([]);
  });

  it('keeps up and down strictly alternating, and messages only between announced peers, under chaos', () => {
    for (let seed = 0; seed < Number(process.env.SIM_CHAOS_SEEDS ?? 30); seed++) chaos(seed);
  });

  it('replays identically from the same seed', () => {
    const one = scripted(99);
    const two = scripted(99);
    expect(one.length).toBeGreaterThan(200);
    expect(two).toEqual(one);
    expect(scripted(100)).not.toEqual(one);
  });

  it('keeps a bounded trace of recent events', () => {
    const w = world(13, ['a', 'b'], { trace: 5, minDelayMs: 2, maxDelayMs: 2 });
    meshUp(w);
    for (let i = 0; i < 10; i++) tx(w, 'a').send('b', 'x'.repeat(i));
    w.clock.runUntilIdle();
    const events = w.net.trace();
    expect(events).toHaveLength(5);
    expect(events.map((e) => e.kind)).toEqual(['deliver', 'deliver', 'deliver', 'deliver', 'deliver']);
    expect(events.map((e) => e.size)).toEqual([5, 6, 7, 8, 9]);
    expect(events[0]).toMatchObject({ from: 'a', to: 'b' });
    expect(w.net.formatTrace(2).split('\n')).toHaveLength(2);
    expect(world(1, ['a']).net.trace()).toEqual([]);
  });

  it('perf smoke: message deliveries per second of wall time', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const w = world(14, ids);
    meshUp(w);
    const work = w.rng.fork('workload');
    // Every delivery is answered by a send to a random peer, keeping 1000 messages in flight.
    let received = 0;
    for (const id of ids) {
      const t = tx(w, id);
      const others = ids.filter((x) => x !== id);
      t.onMessage((_f, d) => {
        received++;
        t.send(work.pick(others), d);
      });
    }
    for (let i = 0; i < 1000; i++) tx(w, `n${i % 10}`).send(`n${(i + 1) % 10}`, 'payload');
    const target = 2_000_000;
    const start = performance.now();
    w.clock.runUntil(() => received >= target);
    const seconds = (performance.now() - start) / 1000;
    const delivered = w.net.stats().delivered;
    expect(delivered).toBeGreaterThanOrEqual(target);
    console.log(`sim network: ${Math.round(delivered / seconds).toLocaleString('en')} deliveries/s (${delivered} in ${seconds.toFixed(2)} s)`);
  });
});

/** Random faults and sends; checks the invariants every transport must keep. */
function chaos(seed: number): void {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const w = world(seed, [], { loss: 0.05, duplicate: 0.05, reorder: seed % 2 === 0, reconnectMs: seed % 3 === 0 ? 0 : 7 });
  const script = w.rng.fork('script');
  const state = new Map<SimTransport, Set<NodeId>>(); // what each transport's events say is up
  const violations: string[] = [];
  const watch = (t: SimTransport) => {
    const up = new Set<NodeId>();
    state.set(t, up);
    t.onPeerUp((p) => (up.has(p) ? violations.push(`${t.self}: up ${p} twice`) : up.add(p)));
    t.onPeerDown((p) => (up.delete(p) ? 0 : violations.push(`${t.self}: down ${p} without up`)));
    t.onMessage((f) => up.has(f) || violations.push(`${t.self}: message from unannounced ${f}`));
  };
  const live = () => [...state.keys()].filter((t) => w.net.isUp(t.self) && w.t[t.self] === t);
  for (const id of ids) watch((w.t[id] = w.net.open(id)));
  for (let step = 0; step < 400; step++) {
    const r = script.next();
    const id = script.pick(ids);
    if (r < 0.03) w.net.crash(id);
    else if (r < 0.06) watch((w.t[id] = w.net.open(id)));
    else if (r < 0.08) void w.t[id]?.close();
    else if (r < 0.1) w.net.partition([script.shuffle([...ids]).slice(0, 2)]);
    else if (r < 0.11) w.net.isolate(id);
    else if (r < 0.14) w.net.heal();
    else if (r < 0.2) w.t[id]?.disconnect(script.pick(ids));
    else if (r < 0.7) w.t[id]?.send(script.pick(ids), 'm');
    else w.clock.advance(script.next() * 10);
    for (const t of live()) {
      const peers = t.peers().sort();
      const said = [...(state.get(t) ?? [])].sort();
      if (peers.join() !== said.join()) violations.push(`${t.self}: peers() ${peers} but events say ${said}`);
    }
  }
  // Once everything heals and each node drops its links to dead peers (as its failure detector
  // would), every open node is linked to every other.
  w.net.heal();
  w.clock.runUntilIdle();
  const open = live();
  for (const t of open) for (const p of t.peers()) if (!w.net.isUp(p)) t.disconnect(p);
  w.clock.runUntilIdle();
  for (const t of open) expect(t.peers().length, `seed ${seed}`).toBe(open.length - 1);
  expect(violations, `seed ${seed}`).toEqual([]);
}

/** A scripted run with faults, returning a serialized trace of everything observed. */
function scripted(seed: number): string[] {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const w = world(seed, ids, { loss: 0.02, duplicate: 0.02, reorder: true, trace: 100 });
  const work = w.rng.fork('workload');
  const out: string[] = [];
  const attach = (t: SimTransport) => {
    t.onPeerUp((p) => out.push(`${w.clock.now()} ${t.self} up ${p}`));
    t.onPeerDown((p) => out.push(`${w.clock.now()} ${t.self} down ${p}`));
    t.onMessage((f, d) => {
      out.push(`${w.clock.now()} ${f}->${t.self} ${d}`);
      const hops = Number(d);
      if (hops < 20) t.send(work.pick(t.peers().length ? t.peers() : [f]), String(hops + 1));
    });
  };
  for (const id of ids) attach(tx(w, id));
  w.clock.setTimer(20, () => {
    for (const id of ids) for (let i = 0; i < 10; i++) tx(w, id).send(work.pick(ids.filter((x) => x !== id)), '0');
  });
  w.clock.setTimer(50, () => w.net.partition([['a', 'b'], ['c']]));
  w.clock.setTimer(70, () => tx(w, 'a').disconnect('c'));
  w.clock.setTimer(80, () => w.net.heal());
  w.clock.setTimer(90, () => w.net.crash('d'));
  w.clock.setTimer(120, () => attach((w.t['d'] = w.net.open('d'))));
  w.clock.runUntilIdle();
  out.push(JSON.stringify(w.net.stats()), w.net.formatTrace());
  return out;
}

describe('one-way cuts, pauses and loss bursts (issue 17, item 3)', () => {
  it('a one-way cut loses one direction only, keeps the link, and heal lifts it', () => {
    const w = world(1, ['a', 'b']);
    meshUp(w);
    const la = listen(w.t.a as SimTransport);
    const lb = listen(w.t.b as SimTransport);
    w.net.block('a', 'b');
    w.t.a!.send('b', 'lost');
    w.t.b!.send('a', 'kept');
    w.clock.runUntilIdle();
    expect(lb).toEqual([]);
    expect(la).toEqual(['msg:b:kept']);
    w.net.heal();
    w.t.a!.send('b', 'again');
    w.clock.runUntilIdle();
    expect(lb).toEqual(['msg:a:again']);
  });

  it('a paused node gets what was sent to it, in order, only once the pause ends', () => {
    const w = world(2, ['a', 'b']);
    meshUp(w);
    const lb = listen(w.t.b as SimTransport);
    const until = w.clock.now() + 5_000;
    w.net.pause('b', until);
    for (const m of ['1', '2', '3']) w.t.a!.send('b', m);
    w.clock.advance(until - w.clock.now() - 1);
    expect(lb).toEqual([]);
    w.clock.runUntil(() => lb.length === 3, { maxTime: 10_000 });
    expect(lb).toEqual(['msg:a:1', 'msg:a:2', 'msg:a:3']);
  });

  it('a loss burst drops messages only while it lasts', () => {
    const w = world(3, ['a', 'b']);
    meshUp(w);
    const lb = listen(w.t.b as SimTransport);
    w.net.burst(w.clock.now() + 1_000, 1);
    w.t.a!.send('b', 'lost');
    w.clock.advance(1_000);
    w.t.a!.send('b', 'kept');
    w.clock.runUntilIdle();
    expect(lb).toEqual(['msg:a:kept']);
  });
});
