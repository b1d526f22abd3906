// Tests for core/gossip.ts (push-pull gossip of membership histories, paper §4.8.1) and for the
// 'gossip', 'gossip-state' and 'handoff' validators in core/protocol/.
import { describe, expect, it } from 'vitest';
import { admit, Gossip, MAX_NEW_MEMBERS, MAX_SEQ_JUMP, MAX_STRANGER_CHANGES } from '../../src/core/gossip';
import { MembershipView, type ViewOptions } from '../../src/core/membership';
import type { GossipMessage } from '../../src/core/protocol/gossip';
import { MAX_CHANGES, MAX_SEQ, type Change } from '../../src/core/protocol/membership';
import { decode, encode, type Message, seal } from '../../src/core/protocol/messages';
import { VirtualClock } from '../../src/sim/clock';
import { seededRandom } from '../../src/sim/random';
import type { NodeId } from '../../src/ports/transport';

// ---------------------------------------------------------------------------------------------------
// A fake network: every message goes through encode/decode (so it must pass the validators) and is
// delivered `latencyMs` later on a shared virtual clock.

const Q = 16;
const INTERVAL = 1000;
const LATENCY = 5;

type Sent = { from: NodeId; to: NodeId; msg: GossipMessage; at: number };

interface Peer {
  id: NodeId;
  view: MembershipView;
  gossip: Gossip;
  news: number;
}

class Net {
  readonly clock = new VirtualClock();
  readonly peers = new Map<NodeId, Peer>();
  readonly log: Sent[] = [];
  private readonly random = seededRandom(42);

  add(id: NodeId, changes: readonly Change[] = [], options?: ViewOptions): Peer {
    const peer: Peer = { id, view: new MembershipView(Q, changes, options), gossip: undefined as unknown as Gossip, news: 0 };
    peer.gossip = new Gossip({
      clock: this.clock,
      random: this.random.fork(id),
      intervalMs: INTERVAL,
      view: () => peer.view,
      peers: () => [...this.peers.keys()].filter((p) => p !== id),
      send: (to, msg) => this.send(id, to, msg),
      onNews: () => peer.news++,
    });
    this.peers.set(id, peer);
    return peer;
  }

  private send(from: NodeId, to: NodeId, msg: GossipMessage): void {
    this.log.push({ from, to, msg, at: this.clock.now() });
    const decoded = decode(encode(msg as Message));
    if (!decoded.ok) throw new Error(`sent an invalid message: ${decoded.reason}`);
    this.clock.setTimer(LATENCY, () => this.peers.get(to)?.gossip.handle(from, decoded.msg as GossipMessage));
  }

  get(id: NodeId): Peer {
    return this.peers.get(id)!;
  }

  converged(): boolean {
    const digests = new Set([...this.peers.values()].map((p) => p.view.digest));
    return digests.size === 1;
  }
}

const join = (node: NodeId, seq: number): Change => ({ node, kind: 'join', seq, by: node });
const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => `n${i}`);

/** A common history where n0..n{k-1} joined in order. */
function baseHistory(k: number): Change[] {
  return ids(k).map((id, i) => join(id, i + 1));
}

// ---------------------------------------------------------------------------------------------------

describe('gossip: convergence', () => {
  it('a change proposed on one view reaches every view after enough rounds', () => {
    const net = new Net();
    for (const id of ids(8)) net.add(id, baseHistory(8));
    for (const p of net.peers.values()) p.gossip.start();
    net.clock.advance(3 * INTERVAL);
    expect(net.converged()).toBe(true);

    const change = net.get('n3').view.propose('remove', 'n7', 'n3');
    expect(net.converged()).toBe(false);
    expect(net.clock.runUntil(() => net.converged(), { maxTime: 30 * INTERVAL })).toBe(true);

    const ring = net.get('n3').view.ring;
    for (const p of net.peers.values()) {
      expect(p.view.has(change)).toBe(true);
      expect(p.view.isMember('n7')).toBe(false);
      expect(p.view.ring).toEqual(ring);
      // Each other view learnt it from a peer and said so; n3 made it itself.
      expect(p.news).toBe(p.id === 'n3' ? 0 : 1);
    }
    for (const p of net.peers.values()) p.gossip.stop();
  });

  it('views that each start with only their own join converge to the union', () => {
    const net = new Net();
    const nodes = ids(10);
    for (const id of nodes) net.add(id, [join(id, 1)]);
    for (const p of net.peers.values()) p.gossip.start();
    expect(net.clock.runUntil(() => net.converged(), { maxTime: 60 * INTERVAL })).toBe(true);
    const any = net.get('n0').view;
    expect(any.members()).toEqual([...nodes].sort());
    expect(any.changes()).toHaveLength(nodes.length);
    for (const p of net.peers.values()) expect(p.view.ring).toEqual(any.ring);
    for (const p of net.peers.values()) p.gossip.stop();
  });

  it('a round with no peers sends nothing and is not counted', () => {
    const net = new Net();
    const a = net.add('a', [join('a', 1)]);
    a.gossip.round();
    expect(a.gossip.rounds).toBe(0);
    expect(net.log).toEqual([]);
  });

  it('rounds run on the timer, with jittered intervals of 0.75 to 1.25 × intervalMs', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(2));
    net.add('b', baseHistory(2));
    a.gossip.start();
    net.clock.advance(20 * INTERVAL);
    const starts = net.log.filter((s) => s.from === 'a' && s.msg.type === 'gossip' && !s.msg.ack).map((s) => s.at);
    expect(a.gossip.rounds).toBe(starts.length);
    expect(starts.length).toBeGreaterThanOrEqual(16);
    expect(starts.length).toBeLessThanOrEqual(27);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(0.75 * INTERVAL);
      expect(g).toBeLessThan(1.25 * INTERVAL);
    }
    expect(new Set(gaps).size).toBeGreaterThan(1);
    a.gossip.stop();
  });
});

describe('gossip: the exchange', () => {
  it('equal views exchange exactly two small messages (digest, then ack) and no state', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(3));
    const b = net.add('b', baseHistory(3));
    a.gossip.round();
    net.clock.runUntilIdle();
    expect(net.log.map((s) => [s.from, s.to, s.msg])).toEqual([
      ['a', 'b', { type: 'gossip', id: 0, digest: a.view.digest }],
      ['b', 'a', { type: 'gossip', id: 0, digest: b.view.digest, ack: true }],
    ]);
    expect(a.news + b.news).toBe(0);
    expect(a.gossip.rounds).toBe(1);
  });

  it('an ack is never answered, even when the digests differ by then', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(2));
    net.add('b', baseHistory(2));
    a.gossip.handle('b', { type: 'gossip', id: 0, digest: a.view.digest, ack: true });
    net.clock.runUntilIdle();
    expect(net.log).toEqual([]);
  });

  it('a view that lacks changes gets them from the peer it asks (pull)', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(2));
    const b = net.add('b', baseHistory(4));
    a.gossip.round();
    net.clock.runUntilIdle();
    expect(net.log.map((s) => [s.from, s.to, s.msg.type])).toEqual([
      ['a', 'b', 'gossip'],
      ['b', 'a', 'gossip-state'],
    ]);
    expect(net.log[1]!.msg).toMatchObject({ reply: true });
    expect(a.view.digest).toBe(b.view.digest);
    expect(a.view.members()).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(a.news).toBe(1);
    expect(b.news).toBe(0);
  });

  it('a view that has extra changes sends them back (push), in three messages', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(4));
    const b = net.add('b', baseHistory(2));
    a.gossip.round();
    net.clock.runUntilIdle();
    expect(net.log.map((s) => [s.from, s.to, s.msg.type])).toEqual([
      ['a', 'b', 'gossip'],
      ['b', 'a', 'gossip-state'],
      ['a', 'b', 'gossip-state'],
    ]);
    expect(net.log[2]!.msg).toMatchObject({ reply: false });
    expect(b.view.digest).toBe(a.view.digest);
    expect(b.view.members()).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(a.news).toBe(0); // it learnt nothing
    expect(b.news).toBe(1);
  });

  it('divergent views both end with the union after one round', () => {
    const net = new Net();
    const common = baseHistory(2);
    const a = net.add('a', [...common, join('x', 3)]);
    const b = net.add('b', [...common, { node: 'n1', kind: 'leave', seq: 3, by: 'n1' }, join('y', 4)]);
    b.gossip.round();
    net.clock.runUntilIdle();
    expect(net.log).toHaveLength(3);
    expect(a.view.digest).toBe(b.view.digest);
    expect(a.view.changes()).toHaveLength(5);
    expect(a.view.members()).toEqual(['n0', 'x', 'y']);
    expect(a.news).toBe(1);
    expect(b.news).toBe(1);
    // The next round between them is back to digest + ack.
    net.log.length = 0;
    a.gossip.round();
    net.clock.runUntilIdle();
    expect(net.log.map((s) => s.msg.type)).toEqual(['gossip', 'gossip']);
  });

  it('a state message with duplicates does not make the receiver think the sender lacks something', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(3));
    net.add('b', baseHistory(3));
    const dup = [...a.view.changes(), ...a.view.changes()];
    a.gossip.handle('b', { type: 'gossip-state', id: 0, changes: dup, reply: true });
    net.clock.runUntilIdle();
    expect(net.log).toEqual([]);
    expect(a.news).toBe(0);
  });

  it('push(peer) offers the digest to that peer at once', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(2));
    net.add('b', baseHistory(2));
    net.add('c', baseHistory(2));
    a.gossip.push('c');
    expect(net.log).toEqual([{ from: 'a', to: 'c', msg: { type: 'gossip', id: 0, digest: a.view.digest }, at: 0 }]);
    expect(a.gossip.rounds).toBe(0);
  });

  it('stop() stops the timer', () => {
    const net = new Net();
    const a = net.add('a', baseHistory(2));
    net.add('b', baseHistory(2));
    a.gossip.start();
    net.clock.advance(5 * INTERVAL);
    const rounds = a.gossip.rounds;
    expect(rounds).toBeGreaterThan(0);
    a.gossip.stop();
    net.clock.runUntilIdle(); // deliveries in flight
    const sent = net.log.length;
    expect(net.clock.pending()).toBe(0);
    net.clock.advance(100 * INTERVAL);
    expect(a.gossip.rounds).toBe(rounds);
    expect(net.log).toHaveLength(sent);
    // and start() resumes it
    a.gossip.start();
    net.clock.advance(5 * INTERVAL);
    expect(a.gossip.rounds).toBeGreaterThan(rounds);
    a.gossip.stop();
  });
});

// ---------------------------------------------------------------------------------------------------

describe('messages: gossip, gossip-state and handoff validators', () => {
  const change: Change = { node: 'a', kind: 'join', seq: 1, by: 'a' };
  const raw = (m: unknown): string => seal(JSON.stringify(m));

  it.each([
    ['gossip', { type: 'gossip', id: 0, digest: '3:abc:def' }],
    ['gossip with ack', { type: 'gossip', id: 0, digest: '3:abc:def', ack: true }],
    ['gossip with a 64-char digest', { type: 'gossip', id: 0, digest: 'd'.repeat(64) }],
    ['gossip-state', { type: 'gossip-state', id: 0, changes: [change, { ...change, node: 'b', kind: 'remove', seq: 2 }], reply: true }],
    ['empty gossip-state', { type: 'gossip-state', id: 0, changes: [], reply: false }],
    ['handoff without digest', { type: 'handoff', id: 7, sets: [{ key: 'k', set: { clock: [], siblings: [] } }] }],
    ['handoff with digest', { type: 'handoff', id: 7, sets: [{ key: 'k', set: { clock: [], siblings: [] } }], digest: '1:x:y' }],
  ])('accepts %s', (_name, msg) => {
    const d = decode(raw(msg));
    expect(d).toEqual({ ok: true, msg });
  });

  it('accepts a gossip-state of exactly MAX_CHANGES changes', () => {
    const changes = Array.from({ length: MAX_CHANGES }, (_, i) => ({ ...change, seq: i + 1 }));
    expect(decode(raw({ type: 'gossip-state', id: 0, changes, reply: false })).ok).toBe(true);
  });

  it('round-trips what a real view sends', () => {
    const v = new MembershipView(Q, baseHistory(5));
    const msgs: Message[] = [
      { type: 'gossip', id: 0, digest: v.digest },
      { type: 'gossip-state', id: 0, changes: [...v.changes()], reply: true },
      { type: 'handoff', id: 1, sets: [], digest: v.digest },
    ];
    for (const m of msgs) expect(decode(encode(m))).toEqual({ ok: true, msg: m });
  });

  it.each([
    ['gossip without digest', { type: 'gossip', id: 0 }, 'bad-gossip'],
    ['gossip with numeric digest', { type: 'gossip', id: 0, digest: 42 }, 'bad-gossip'],
    ['gossip with a 65-char digest', { type: 'gossip', id: 0, digest: 'd'.repeat(65) }, 'bad-gossip'],
    ['gossip with ack false', { type: 'gossip', id: 0, digest: 'x', ack: false }, 'bad-gossip'],
    ['gossip with ack "true"', { type: 'gossip', id: 0, digest: 'x', ack: 'true' }, 'bad-gossip'],
    ['gossip with ack 1', { type: 'gossip', id: 0, digest: 'x', ack: 1 }, 'bad-gossip'],
    ['gossip with negative id', { type: 'gossip', id: -1, digest: 'x' }, 'bad-gossip'],
    ['gossip without id', { type: 'gossip', digest: 'x' }, 'bad-gossip'],
    ['gossip-state with a change of seq 0', { type: 'gossip-state', id: 0, changes: [{ ...change, seq: 0 }], reply: true }, 'bad-gossip-state'],
    ['gossip-state with a change at seq 2^53 - 1', { type: 'gossip-state', id: 0, changes: [change, { ...change, seq: Number.MAX_SAFE_INTEGER }], reply: true }, 'bad-gossip-state'],
    ['gossip-state with a change past MAX_SEQ', { type: 'gossip-state', id: 0, changes: [{ ...change, seq: MAX_SEQ + 1 }], reply: true }, 'bad-gossip-state'],
    ['gossip-state with an unknown kind', { type: 'gossip-state', id: 0, changes: [change, { ...change, kind: 'evict' }], reply: true }, 'bad-gossip-state'],
    ['gossip-state with a long node id', { type: 'gossip-state', id: 0, changes: [{ ...change, node: 'n'.repeat(65) }], reply: true }, 'bad-gossip-state'],
    ['gossip-state with a null change', { type: 'gossip-state', id: 0, changes: [null], reply: true }, 'bad-gossip-state'],
    ['gossip-state without reply', { type: 'gossip-state', id: 0, changes: [change] }, 'bad-gossip-state'],
    ['gossip-state with reply "yes"', { type: 'gossip-state', id: 0, changes: [change], reply: 'yes' }, 'bad-gossip-state'],
    ['gossip-state with changes not an array', { type: 'gossip-state', id: 0, changes: { 0: change }, reply: true }, 'bad-gossip-state'],
    ['handoff with a 65-char digest', { type: 'handoff', id: 1, sets: [], digest: 'd'.repeat(65) }, 'bad-handoff'],
    ['handoff with a numeric digest', { type: 'handoff', id: 1, sets: [], digest: 5 }, 'bad-handoff'],
    ['handoff with a set that is not an object', { type: 'handoff', id: 1, sets: [{ key: 'k', set: 'x' }] }, 'bad-handoff'],
    ['handoff with an empty key', { type: 'handoff', id: 1, sets: [{ key: '', set: {} }] }, 'bad-handoff'],
    ['handoff without sets', { type: 'handoff', id: 1 }, 'bad-handoff'],
  ])('rejects %s', (_name, msg, reason) => {
    expect(decode(raw(msg))).toEqual({ ok: false, reason });
  });

  it('rejects a gossip-state of more than MAX_CHANGES changes', () => {
    const changes = Array.from({ length: MAX_CHANGES + 1 }, (_, i) => ({ ...change, seq: i + 1 }));
    expect(decode(raw({ type: 'gossip-state', id: 0, changes, reply: false }))).toEqual({ ok: false, reason: 'bad-gossip-state' });
  });

  it('a change at the edge of the safe integers never gets in, so every view can still number its next change', () => {
    // Regression: seq 2^53 - 1 was accepted, the next change could not be numbered, and peers
    // refused it, so histories differed forever.
    const net = new Net();
    const a = net.add('a', baseHistory(2));
    const b = net.add('b', baseHistory(2));
    const poisoned = { type: 'gossip-state', id: 0, changes: [...a.view.changes(), join('z', Number.MAX_SAFE_INTEGER)], reply: false };
    const d = decode(raw(poisoned));
    expect(d.ok).toBe(false);
    expect(b.view.changes()).toHaveLength(2);
    const next = b.view.propose('leave', 'n1', 'n1');
    expect(next.seq).toBe(3);
    b.gossip.push('a');
    net.clock.runUntilIdle();
    expect(a.view.has(next)).toBe(true);
    expect(a.view.digest).toBe(b.view.digest);
  });

  it('rejects non-messages with a reason', () => {
    expect(decode(seal('{not json'))).toEqual({ ok: false, reason: 'bad-json' });
    expect(decode(seal('[]'))).toEqual({ ok: false, reason: 'no-type' });
    expect(decode(raw({ type: 'gossip-push', id: 0 }))).toEqual({ ok: false, reason: 'unknown-type' });
    expect(decode(raw({ type: 'gossip', id: 0, digest: 'x' }), 10)).toEqual({ ok: false, reason: 'too-large' });
  });
});

// ---------------------------------------------------------------------------------------------------
// Bounded work per message (regression: one 104 KiB message of 2,000 joins from a non-member spread
// to every node, stalled each about 1.1 s, and was persisted).

/** A room of `k` members whose peer ids are their node ids, each knowing all of them. */
function room(net: Net, k: number, options?: ViewOptions): Peer[] {
  return ids(k).map((id) => net.add(id, baseHistory(k), { self: id, ...options }));
}

const state = (changes: Change[], extra: Partial<GossipMessage> = {}): GossipMessage =>
  ({ type: 'gossip-state', id: 0, changes, reply: false, ...extra }) as GossipMessage;

describe('gossip: what one message may do', () => {
  it('2,000 joins in one message are refused at the door (more than MAX_CHANGES)', () => {
    const flood = Array.from({ length: 2_000 }, (_, i) => join(`fake${i}`, 6 + i));
    expect(MAX_CHANGES).toBeLessThan(2_000);
    expect(decode(seal(JSON.stringify({ type: 'gossip-state', id: 0, changes: flood, reply: false })))).toEqual({ ok: false, reason: 'bad-gossip-state' });
  });

  it(`a non-member's 1,000 joins: at most MAX_STRANGER_CHANGES (${MAX_STRANGER_CHANGES}) get in, its own first, and no more spread`, () => {
    const net = new Net();
    const members = room(net, 5);
    const flood = [...Array.from({ length: 999 }, (_, i) => join(`fake${i}`, 6 + i)), join('evil', 1_005)];
    const msg = state(flood);
    expect(decode(encode(msg as Message)).ok).toBe(true);
    members[0]!.gossip.handle('evil', msg);
    const v = members[0]!.view;
    expect(v.isMember('evil')).toBe(true);
    expect(v.members().length).toBe(5 + MAX_STRANGER_CHANGES);
    expect(members[0]!.gossip.refused).toBe(1_000 - MAX_STRANGER_CHANGES);
    for (const p of members) p.gossip.start();
    expect(net.clock.runUntil(() => net.converged(), { maxTime: 30 * INTERVAL })).toBe(true);
    for (const p of members) expect(p.view.members().length).toBe(5 + MAX_STRANGER_CHANGES);
    for (const p of members) p.gossip.stop();
  });

  it(`from a member, at most MAX_NEW_MEMBERS (${MAX_NEW_MEMBERS}) new members a message; the rest come in later exchanges`, () => {
    const net = new Net();
    const [a, b] = room(net, 2);
    // b's side of a partition grew by 150 tabs that a never heard of.
    const grown = Array.from({ length: 150 }, (_, i) => join(`tab${i}`, 3 + i));
    b!.view.merge(grown);
    a!.gossip.handle('n1', state([...b!.view.changes()]));
    expect(a!.view.members().length).toBe(2 + MAX_NEW_MEMBERS);
    a!.gossip.start();
    b!.gossip.start();
    expect(net.clock.runUntil(() => net.converged(), { maxTime: 20 * INTERVAL })).toBe(true);
    expect(a!.view.members()).toEqual(b!.view.members());
    expect(a!.view.members()).toHaveLength(152);
    a!.gossip.stop();
    b!.gossip.stop();
  });

  it('a view that has learnt nothing yet (a newcomer) takes a stranger’s state, up to the new-member limit', () => {
    const fresh = new MembershipView(Q, [join('me', 1)]);
    const taken = admit(fresh, 'peer', { changes: Array.from({ length: 100 }, (_, i) => join(`m${i}`, i + 1)) });
    expect(taken.changes).toHaveLength(MAX_NEW_MEMBERS);
    expect(taken.refused).toBe(100 - MAX_NEW_MEMBERS);
  });

  it('a change numbered more than MAX_SEQ_JUMP above everything known is refused', () => {
    const v = new MembershipView(Q, baseHistory(3));
    const far = join('far', 3 + MAX_SEQ_JUMP + 1);
    const near = join('near', 3 + MAX_SEQ_JUMP);
    const taken = admit(v, 'n0', { changes: [...v.changes(), far, near] });
    expect(taken.changes).toEqual([near]);
    expect(taken.refused).toBe(1);
  });

  it('a base is taken from a member that has a better one, never from a stranger', () => {
    const ahead = new MembershipView(Q, Array.from({ length: 40 }, (_, i) => join(`n${i % 4}`, i + 1)).concat([join('n4', 41)]), { keep: 4, compactAt: 4, forceAt: 4 });
    expect(ahead.base).toBeDefined();
    const behind = new MembershipView(Q, baseHistory(5));
    expect(admit(behind, 'stranger', { changes: [...ahead.changes()], base: ahead.base }).base).toBeUndefined();
    expect(admit(behind, 'n1', { changes: [...ahead.changes()], base: ahead.base }).base).toEqual(ahead.base);
    const merged = admit(behind, 'n1', { changes: [...ahead.changes()], base: ahead.base });
    behind.merge(merged.changes, merged.base);
    expect(behind.digest).toBe(ahead.digest);
    expect(behind.ring).toEqual(ahead.ring);
  });
});

describe('gossip: compaction in a gossiping room', () => {
  it('equal digests are agreement: a busy room compacts by itself and every view stays equal', () => {
    const net = new Net();
    const members = room(net, 4);
    for (const p of members) p.gossip.start();
    for (let i = 0; i < 400; i++) {
      // A tab joins through a member and, a little later, that member removes it.
      const p = members[(i >> 1) % 4]!;
      p.view.propose(i % 2 ? 'remove' : 'join', `tab${i >> 1}`, i % 2 ? p.id : `tab${i >> 1}`);
      net.clock.advance(INTERVAL / 2);
    }
    expect(net.clock.runUntil(() => net.converged(), { maxTime: 30 * INTERVAL })).toBe(true);
    net.clock.advance(10 * INTERVAL); // a few more rounds of agreement
    for (const p of members) {
      expect(p.view.baseSeq).toBeGreaterThan(0);
      expect(p.view.changes().length).toBeLessThanOrEqual(128);
      expect(p.view.members()).toEqual(ids(4));
      expect(p.view.ring).toEqual(members[0]!.view.ring);
    }
    expect(members[0]!.view.digest.startsWith('404:')).toBe(true);
    for (const p of members) p.gossip.stop();
  });

  it.each([
    ['the newcomer', 'speaks first'],
    ['a member', 'speaks first'],
  ])('a newcomer joins a room that compacted long ago (%s %s)', (who) => {
    const net = new Net();
    const members = room(net, 3, { keep: 4, compactAt: 8 });
    for (let i = 0; i < 30; i++) members[0]!.view.propose(i % 2 ? 'leave' : 'join', 'x', 'x');
    for (const p of members) p.gossip.start();
    expect(net.clock.runUntil(() => net.converged() && members.every((p) => p.view.baseSeq > 1), { maxTime: 30 * INTERVAL })).toBe(true);
    const newcomer = net.add('new', []);
    newcomer.view.propose('join', 'new', 'new'); // seq 1: it knows nothing yet
    if (who === 'the newcomer') newcomer.gossip.push('n1');
    else members[1]!.gossip.push('new');
    newcomer.gossip.start();
    expect(net.clock.runUntil(() => net.converged(), { maxTime: 30 * INTERVAL })).toBe(true);
    for (const p of [...members, newcomer]) {
      expect(p.view.members()).toEqual(['n0', 'n1', 'n2', 'new']);
      expect(p.view.ring).toEqual(newcomer.view.ring);
    }
    expect(newcomer.view.own!.seq).toBeGreaterThan(newcomer.view.baseSeq);
    for (const p of net.peers.values()) p.gossip.stop();
  });
});

describe('messages: gossip-state with a base', () => {
  const v = new MembershipView(Q, Array.from({ length: 12 }, (_, i) => join(`n${i % 3}`, i + 1)), { keep: 2, compactAt: 2, forceAt: 2 });

  it('round-trips a state with a base', () => {
    expect(v.base).toBeDefined();
    const msg: Message = { type: 'gossip-state', id: 0, changes: [...v.changes()], reply: true, base: v.base! };
    expect(decode(encode(msg))).toEqual({ ok: true, msg });
  });

  it.each([
    ['a base that is not an object', 'base'],
    ['a base with a seq past MAX_SEQ', { ...v.base!, seq: MAX_SEQ + 1 }],
    ['a base whose ring a non-member owns', { ...v.base!, nodes: v.base!.nodes.slice(1) }],
  ])('rejects %s', (_name, base) => {
    expect(decode(seal(JSON.stringify({ type: 'gossip-state', id: 0, changes: [], reply: true, base })))).toEqual({ ok: false, reason: 'bad-gossip-state' });
  });
});
