// The fault wrapper's corrupt(p): what a damaged message looks like (corrupt.ts), that only outgoing
// messages are damaged and at the rate asked, and that corrupt(0) and heal() stop it.

import { afterEach, describe, expect, it } from 'vitest';
import { CORRUPTIONS, corruptMessage, type Corruption } from '../../src/adapters/faults/corrupt';
import { FaultyTransport } from '../../src/adapters/faults/transport';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { decode, encode, type Message } from '../../src/core/protocol/messages';
import { seededRandom } from '../../src/sim/random';
import type { Transport } from '../../src/ports/transport';
import { until } from '../support/wait';

/** Messages of several shapes and sizes, as the node encodes them. */
const SAMPLES: Message[] = [
  { type: 'ping', id: 0 },
  { type: 'get', id: 7, key: 'cart:alice' },
  { type: 'put', id: 12, key: 'k\u00e9y', set: { v: ['caf\u00e9 \ud83d\ude00', 'x'.repeat(300)] } },
  { type: 'put-ack', id: 3, ok: false, error: 'QuorumError' },
  { type: 'gossip', id: 0, digest: 'ab'.repeat(16) },
];
const encoded = SAMPLES.map((m) => encode(m));

/** What a data channel does to a string: UTF-8 and back (a lone surrogate becomes U+FFFD). */
const overTheWire = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s));

describe('corruptMessage', () => {
  it('always damages the message, in every way, and the receiver drops every one as bad-checksum', () => {
    const random = seededRandom(42);
    const kinds = new Map<Corruption, number>();
    let checksumOnly = 0;
    let jsonOnly = 0;
    for (let i = 0; i < 4000; i++) {
      const sent = encoded[i % encoded.length]!;
      const { data, kind } = corruptMessage(sent, random);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const received = overTheWire(data);
      expect(received).not.toBe(sent);
      expect(decode(received)).toEqual({ ok: false, reason: 'bad-checksum' });
      if (data.length === sent.length && data.slice(8) === sent.slice(8)) checksumOnly++;
      if (data.length === sent.length && data.slice(0, 8) === sent.slice(0, 8)) jsonOnly++;
    }
    expect([...kinds.keys()].sort()).toEqual([...CORRUPTIONS].sort());
    for (const n of kinds.values()) expect(n).toBeGreaterThan(800);
    // Flips land anywhere: in the checksum alone as well as in the JSON alone.
    expect(checksumOnly).toBeGreaterThan(20);
    expect(jsonOnly).toBeGreaterThan(200);
  });

  it('changes even a one-character or empty message', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      for (const s of ['', 'a', '\ufffd']) expect(overTheWire(corruptMessage(s, random).data)).not.toBe(s);
    }
  });

  it('is reproducible from its seed', () => {
    const run = (seed: number) => encoded.map((s) => corruptMessage(s, seededRandom(seed)).data);
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });
});

describe('FaultyTransport.corrupt', () => {
  let open: Transport[] = [];
  afterEach(async () => {
    for (const t of open) await t.close();
    open = [];
  });

  async function pair(seed = 1) {
    const net = new MemoryNetwork();
    const a = new FaultyTransport(net.open('a'), seededRandom(seed));
    const b = new FaultyTransport(net.open('b'), seededRandom(seed + 1));
    open = [a, b];
    await until(() => a.peers().includes('b') && b.peers().includes('a'), 5000, 'link up');
    const atB: string[] = [];
    const atA: string[] = [];
    b.onMessage((_, d) => atB.push(d));
    a.onMessage((_, d) => atA.push(d));
    return { a, b, atA, atB };
  }

  /** Sends `count` encoded messages from `from`; resolves with what `inbox` received. */
  async function exchange(from: FaultyTransport, to: string, inbox: string[], count: number): Promise<string[]> {
    const sent = Array.from({ length: count }, (_, i) => encode({ type: 'get', id: i, key: `k${i}` }));
    inbox.length = 0;
    for (const s of sent) expect(from.send(to, s)).toBe(true);
    await until(() => inbox.length === count, 5000, `${count} messages`);
    return sent;
  }

  it('corrupt(1) damages every outgoing message and counts it; incoming ones arrive intact', async () => {
    const { a, b, atA, atB } = await pair();
    a.corrupt(1);
    const sent = await exchange(a, 'b', atB, 200);
    expect(atB.every((d, i) => d !== sent[i] && !decode(d).ok)).toBe(true);
    expect(a.corrupted).toBe(200);
    const back = await exchange(b, 'a', atA, 50);
    expect(atA).toEqual(back);
  });

  it('corrupt(0.3) damages about three in ten', async () => {
    const { a, atB } = await pair(5);
    a.corrupt(0.3);
    const sent = await exchange(a, 'b', atB, 2000);
    const damaged = atB.filter((d, i) => d !== sent[i]).length;
    expect(damaged).toBe(a.corrupted);
    expect(damaged).toBeGreaterThan(500);
    expect(damaged).toBeLessThan(700);
  });

  it('corrupt(0) and heal() stop it; a message to a peer with no link is not counted', async () => {
    const { a, atB } = await pair();
    a.corrupt(1);
    a.corrupt(0);
    expect(await exchange(a, 'b', atB, 50)).toEqual(atB);
    a.corrupt(1);
    a.heal();
    expect(await exchange(a, 'b', atB, 50)).toEqual(atB);
    a.corrupt(1);
    expect(a.send('nobody', 'x')).toBe(false);
    expect(a.corrupted).toBe(0);
  });

  it('refuses a probability outside 0..1', async () => {
    const { a } = await pair();
    for (const p of [-0.1, 1.5, Number.NaN]) expect(() => a.corrupt(p)).toThrow(RangeError);
  });
});
