// A reader that stopped reading: relays to it are dropped past a high-water mark (the sender is told),
// and past the hard cap it is closed with 4507, so what the server buffers per reader stays bounded.

import { afterAll, afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerFrame } from '../../signaling/protocol';
import { until } from '../support/wait';
import { Harness, stallReading, type TestClient } from './helpers';

const h = new Harness();
afterEach(() => {
  h.terminateClients();
  expect(h.internalErrors).toEqual([]);
});
afterAll(() => h.closeServers());

const FRAME = 'x'.repeat(60 * 1024);
const fast = { ratePerSec: 1_000_000, burst: 1_000_000 };
const isSignal = (f: ServerFrame) => f.type === 'signal';
const told = (to: string) => (f: ServerFrame) => f.type === 'error' && f.code === 'peer-slow' && f.ref === to;

/** Sends 60 KiB relays to `to` until `done` holds for the sender's frames; gives up after `max` frames. */
async function flood(sender: TestClient, to: string, done: (f: ServerFrame) => boolean, max = 300): Promise<number> {
  for (let sent = 0; sent < max; ) {
    for (let i = 0; i < 8; i++, sent++) sender.send({ type: 'signal', to, data: FRAME });
    await sender.sync(5000);
    if (sender.frames.some(done)) return sent;
  }
  throw new Error(`sent ${max} frames of 60 KiB to ${to} and the server never pushed back`);
}

it('drops relays to a stalled reader past the high-water mark, tells each sender once, and buffers no more', async () => {
  const highWater = 128 * 1024;
  const s = await h.start({ ...fast, relayHighWater: highWater, maxBuffered: 8 * 1024 * 1024 });
  const slow = await h.join(s, 'slow', 'slow');
  const senders = await Promise.all([1, 2, 3, 4].map((i) => h.join(s, 'slow', `s${i}`)));
  const resume = stallReading(slow);
  for (const sender of senders) await flood(sender, 'slow', told('slow'));
  const bound = highWater + 64 * 1024 + 16; // the mark, one frame over it, and its header
  expect(s.stats().maxBufferedBytes).toBeLessThanOrEqual(bound);
  const dropped = s.stats().relaysDropped;
  // A further run of drops adds no memory and no further error per frame.
  for (const sender of senders) for (let i = 0; i < 50; i++) sender.send({ type: 'signal', to: 'slow', data: FRAME });
  await Promise.all(senders.map((c) => c.sync()));
  expect(s.stats().relaysDropped).toBe(dropped + 200);
  expect(s.stats().maxBufferedBytes).toBeLessThanOrEqual(bound);
  for (const sender of senders) expect(sender.frames.filter(told('slow'))).toHaveLength(1);
  // The reader is behind, not gone: it is still in the room, and once it reads again relays reach it.
  expect(s.stats().closed.slowReader).toBe(0);
  resume();
  await until(() => s.stats().maxBufferedBytes === 0, 10_000, 'the reader to drain what was held for it');
  senders[0]!.send({ type: 'signal', to: 'slow', data: 'caught up' });
  expect(await slow.next((f) => isSignal(f) && f.type === 'signal' && f.data === 'caught up', 10_000)).toMatchObject({ from: 's1' });
});

it('a stalled reader does not slow relays between other peers', async () => {
  const s = await h.start({ ...fast, relayHighWater: 64 * 1024 });
  const slow = await h.join(s, 'mixed', 'slow');
  const a = await h.join(s, 'mixed', 'a');
  const b = await h.join(s, 'mixed', 'b');
  stallReading(slow);
  await flood(a, 'slow', told('slow'));
  a.send({ type: 'signal', to: 'b', data: 'still relayed' });
  expect(await b.next(isSignal)).toEqual({ type: 'signal', from: 'a', data: 'still relayed' });
});

it('closes a reader past the hard cap with 4507 and announces it as left', async () => {
  const s = await h.start({ ...fast, relayHighWater: 16 * 1024, maxBuffered: 32 * 1024 });
  const slow = await h.join(s, 'cap', 'slow');
  const a = await h.join(s, 'cap', 'a');
  const resume = stallReading(slow);
  await flood(a, 'slow', (f) => told('slow')(f) || (f.type === 'peer-left' && f.peer === 'slow'));
  // Relays alone may stop just under the cap; any frame owed to the reader past it closes it.
  await h.join(s, 'cap', 'c');
  expect(await a.next((f) => f.type === 'peer-left', 5000)).toEqual({ type: 'peer-left', peer: 'slow' });
  expect(s.stats().closed.slowReader).toBe(1);
  resume();
  expect(await slow.closeCode(10_000)).toBe(4507);
  expect(a.ws.readyState).toBe(WebSocket.OPEN);
});
