// Signaling server over real ws clients: rooms, relay, limits, bad input, dead peers, shutdown.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSignalingServer, type SignalingOptions, type SignalingServer } from '../../signaling/server';
import { TestClient } from './helpers';

const clients: TestClient[] = [];
const servers: SignalingServer[] = [];
const internalErrors: unknown[] = [];

async function start(limits: SignalingOptions['limits'] = {}, extra: Partial<SignalingOptions> = {}): Promise<SignalingServer> {
  const s = await startSignalingServer({
    port: 0,
    host: '127.0.0.1',
    limits: { pingIntervalMs: 100, ...limits },
    log: (m, e) => internalErrors.push([m, e]),
    ...extra,
  });
  servers.push(s);
  return s;
}
async function open(s: SignalingServer, options?: WebSocket.ClientOptions): Promise<TestClient> {
  const c = await TestClient.open(s.url, options);
  clients.push(c);
  return c;
}
async function join(s: SignalingServer, room: string, peer: string): Promise<TestClient> {
  const c = await TestClient.joined(s.url, room, peer);
  clients.push(c);
  return c;
}
const isSignal = (f: { type: string }) => f.type === 'signal';

afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
  expect(internalErrors).toEqual([]);
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('rooms and relay', () => {
  let s: SignalingServer;
  beforeAll(async () => {
    s = await start();
  });

  it('welcomes with the current peer list (excluding self) and announces joins', async () => {
    const a = await open(s);
    a.send({ type: 'join', room: 'r1', peer: 'a' });
    expect(await a.next()).toEqual({ type: 'welcome', room: 'r1', peer: 'a', peers: [] });
    const b = await open(s);
    b.send({ type: 'join', room: 'r1', peer: 'b' });
    expect(await b.next()).toEqual({ type: 'welcome', room: 'r1', peer: 'b', peers: ['a'] });
    expect(await a.next()).toEqual({ type: 'peer-joined', peer: 'b' });
    const c = await open(s);
    c.send({ type: 'join', room: 'r1', peer: 'c' });
    const w = await c.next();
    expect(w.type === 'welcome' && [...w.peers].sort()).toEqual(['a', 'b']);
    expect(await a.next()).toEqual({ type: 'peer-joined', peer: 'c' });
    expect(await b.next()).toEqual({ type: 'peer-joined', peer: 'c' });
  });

  it('announces peer-left on leave and on close; a left connection may join again', async () => {
    const a = await join(s, 'r2', 'a');
    const b = await join(s, 'r2', 'b');
    const c = await join(s, 'r2', 'c');
    b.send({ type: 'leave' });
    expect(await a.next((f) => f.type === 'peer-left')).toEqual({ type: 'peer-left', peer: 'b' });
    expect(await c.next((f) => f.type === 'peer-left')).toEqual({ type: 'peer-left', peer: 'b' });
    b.send({ type: 'join', room: 'r2', peer: 'b2' });
    expect(await b.next((f) => f.type === 'welcome')).toMatchObject({ peers: expect.arrayContaining(['a', 'c']) });
    await c.close();
    expect(await a.next((f) => f.type === 'peer-left')).toEqual({ type: 'peer-left', peer: 'c' });
    expect(await b.next((f) => f.type === 'peer-left')).toEqual({ type: 'peer-left', peer: 'c' });
  });

  it('relays a signal to exactly one addressee, stamped with the sender', async () => {
    const a = await join(s, 'r3', 'a');
    const b = await join(s, 'r3', 'b');
    const c = await join(s, 'r3', 'c');
    const data = { sdp: 'v=0...', nested: [1, null, 'x'] };
    a.send({ type: 'signal', to: 'b', data });
    expect(await b.next(isSignal)).toEqual({ type: 'signal', from: 'a', data });
    await Promise.all([a.sync(), c.sync()]);
    expect(c.frames.filter(isSignal)).toEqual([]);
    expect(a.frames.filter(isSignal)).toEqual([]);
  });

  it('isolates rooms: same ids in two rooms, no cross-room announcements or relay', async () => {
    const a1 = await join(s, 'iso-1', 'a');
    const a2 = await join(s, 'iso-2', 'a');
    const b2 = await join(s, 'iso-2', 'b');
    expect(await a2.next()).toEqual({ type: 'peer-joined', peer: 'b' });
    a1.send({ type: 'signal', to: 'b', data: 1 });
    expect(await a1.error('no-such-peer')).toMatchObject({ ref: 'b' });
    await b2.close();
    expect(await a2.next()).toEqual({ type: 'peer-left', peer: 'b' });
    await a1.sync();
    expect(a1.frames).toEqual([]);
  });
});

describe('limits', () => {
  it('closes an oversize frame with 1009 and leaves everyone else alone', async () => {
    const s = await start({ maxPayload: 1024 });
    const a = await join(s, 'big', 'a');
    const b = await join(s, 'big', 'b');
    const c = await join(s, 'big', 'c');
    a.send({ type: 'signal', to: 'b', data: 'x'.repeat(900) });
    expect(await b.next(isSignal)).toMatchObject({ from: 'a' });
    a.send({ type: 'signal', to: 'b', data: 'x'.repeat(2000) });
    expect(await a.closed).toBe(1009);
    expect(await b.next((f) => f.type === 'peer-left')).toEqual({ type: 'peer-left', peer: 'a' });
    c.send({ type: 'signal', to: 'b', data: 'still here' });
    expect(await b.next(isSignal)).toEqual({ type: 'signal', from: 'c', data: 'still here' });
    expect(b.frames.filter(isSignal)).toEqual([]);
  });

  it('caps peers per room with room-full; the refused connection can join elsewhere or later', async () => {
    const s = await start({ maxPeersPerRoom: 2 });
    const a = await join(s, 'full', 'a');
    await join(s, 'full', 'b');
    const c = await open(s);
    c.send({ type: 'join', room: 'full', peer: 'c' });
    expect(await c.error('room-full')).toMatchObject({ ref: 'full' });
    a.send({ type: 'leave' });
    c.send({ type: 'join', room: 'full', peer: 'c' });
    expect(await c.next()).toEqual({ type: 'welcome', room: 'full', peer: 'c', peers: ['b'] });
    const d = await open(s);
    d.send({ type: 'join', room: 'full', peer: 'd' });
    await d.error('room-full');
    d.send({ type: 'join', room: 'other', peer: 'd' });
    expect(await d.next()).toMatchObject({ type: 'welcome', room: 'other' });
  });

  it('rate-limits per connection with a token bucket, drops excess frames and coalesces the errors', async () => {
    let t = 0;
    const s = await start({ ratePerSec: 10, burst: 5 }, { now: () => t });
    const a = await join(s, 'rl', 'a'); // the join took one token
    const b = await join(s, 'rl', 'b');
    for (let i = 0; i < 30; i++) a.send({ type: 'signal', to: 'b', data: i });
    expect(await a.error('rate-limited')).toMatchObject({ type: 'error' });
    t += 1000; // refills the bucket to its burst of 5
    await a.sync();
    expect(a.frames.filter((f) => f.type === 'error')).toEqual([]); // one error for 26 dropped frames
    await b.sync();
    expect(b.frames.filter(isSignal).map((f) => f.type === 'signal' && f.data)).toEqual([0, 1, 2, 3]);
    // Other connections have their own buckets.
    b.send({ type: 'signal', to: 'a', data: 'b is fine' });
    expect(await a.next(isSignal)).toMatchObject({ data: 'b is fine' });
    // After recovering, a new flood gets a new error.
    for (let i = 0; i < 10; i++) a.send({ type: 'signal', to: 'b', data: i });
    await a.error('rate-limited');
  });

  it('rejects a duplicate peer id with id-taken and keeps the connection open and unjoined', async () => {
    const s = await start();
    const a = await join(s, 'dup', 'a');
    const a2 = await open(s);
    a2.send({ type: 'join', room: 'dup', peer: 'a' });
    expect(await a2.error('id-taken')).toMatchObject({ ref: 'a' });
    a2.send({ type: 'signal', to: 'a', data: 1 });
    await a2.error('not-joined');
    a2.send({ type: 'join', room: 'dup', peer: 'a-2' });
    expect(await a2.next()).toEqual({ type: 'welcome', room: 'dup', peer: 'a-2', peers: ['a'] });
    expect(await a.next()).toEqual({ type: 'peer-joined', peer: 'a-2' });
  });
});

describe('liveness', () => {
  it('terminates a connection that stops answering pings and announces it as left', async () => {
    const s = await start({ pingIntervalMs: 50 });
    const live = await join(s, 'ping', 'live');
    const dead = await TestClient.open(s.url, { autoPong: false });
    clients.push(dead);
    dead.send({ type: 'join', room: 'ping', peer: 'dead' });
    await dead.next((f) => f.type === 'welcome');
    expect(await live.next((f) => f.type === 'peer-joined')).toEqual({ type: 'peer-joined', peer: 'dead' });
    expect(await live.next((f) => f.type === 'peer-left', 3000)).toEqual({ type: 'peer-left', peer: 'dead' });
    expect(s.stats().closed.pingTimeout).toBe(1);
    await dead.closed;
    // The answering client survived the same intervals.
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    await live.sync();
  });
});

describe('bad input', () => {
  let s: SignalingServer;
  beforeAll(async () => {
    s = await start();
  });

  const cases: Array<[string, unknown, string]> = [
    ['malformed JSON', '{"type":', 'bad-json'],
    ['empty frame', '', 'bad-json'],
    ['array', '[1,2]', 'bad-frame'],
    ['number', '42', 'bad-frame'],
    ['null', 'null', 'bad-frame'],
    ['string', '"join"', 'bad-frame'],
    ['missing type', {}, 'bad-frame'],
    ['non-string type', { type: 7 }, 'bad-frame'],
    ['unknown type', { type: 'launch' }, 'unknown-type'],
    ['join without peer', { type: 'join', room: 'r' }, 'bad-frame'],
    ['join with numeric room', { type: 'join', room: 1, peer: 'p' }, 'bad-frame'],
    ['join with invalid id', { type: 'join', room: 'r', peer: 'has space' }, 'bad-frame'],
    ['join with over-long id', { type: 'join', room: 'r', peer: 'p'.repeat(65) }, 'bad-frame'],
    ['signal without to', { type: 'signal', data: 1 }, 'bad-frame'],
    ['signal without data', { type: 'signal', to: 'x' }, 'bad-frame'],
    ['signal before join', { type: 'signal', to: 'x', data: 1 }, 'not-joined'],
    ['leave before join', { type: 'leave' }, 'not-joined'],
  ];
  it.each(cases)('%s → error reply, frame dropped, connection kept', async (_name, frame, code) => {
    const c = await open(s);
    c.send(frame);
    expect(await c.next()).toMatchObject({ type: 'error', code, message: expect.any(String) });
    c.send({ type: 'join', room: 'bad', peer: `p${Math.random().toString(36).slice(2, 8)}` });
    expect(await c.next()).toMatchObject({ type: 'welcome' });
  });

  it('binary frames → bad-frame', async () => {
    const c = await open(s);
    c.ws.send(Buffer.from([0x7b, 0x7d, 0x00, 0xff]));
    await c.error('bad-frame');
    await c.sync();
  });

  it('second join → already-joined; signal to an absent peer → no-such-peer', async () => {
    const a = await join(s, 'twice', 'a');
    a.send({ type: 'join', room: 'elsewhere', peer: 'z' });
    await a.error('already-joined');
    a.send({ type: 'signal', to: 'nobody', data: {} });
    expect(await a.error('no-such-peer')).toMatchObject({ ref: 'nobody' });
    const b = await join(s, 'twice', 'b');
    b.send({ type: 'signal', to: 'a', data: 'ok' });
    expect(await a.next(isSignal)).toEqual({ type: 'signal', from: 'b', data: 'ok' });
  });

  it('survives invalid UTF-8 in a text frame (ws closes that connection with 1007)', async () => {
    const bad = await open(s);
    const other = await join(s, 'utf8', 'other');
    bad.ws.send(Buffer.from([0xc3, 0x28]), { binary: false });
    expect(await bad.closed).toBe(1007);
    await other.sync();
  });
});

describe('what a relay may carry', () => {
  let s: SignalingServer;
  beforeAll(async () => {
    s = await start();
  });

  // Found by the fuzzer: relaying re-serialises `data`, and JSON.stringify recursed past the stack on a
  // deeply nested value, so the frame handler threw and the sender heard nothing.
  it('signal data nested deeper than 32 levels → bad-frame, nothing relayed; 32 levels are relayed', async () => {
    const a = await join(s, 'deep', 'a');
    const b = await join(s, 'deep', 'b');
    for (const depth of [33, 20_000]) {
      a.send(`{"type":"signal","to":"b","data":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(await a.error('bad-frame')).toMatchObject({ ref: 'signal', message: expect.stringContaining('32') });
    }
    a.send(`{"type":"signal","to":"b","data":${'['.repeat(32)}${']'.repeat(32)}}`);
    const relayed = await b.next(isSignal);
    expect(JSON.stringify(relayed.type === 'signal' && relayed.data)).toBe('['.repeat(32) + ']'.repeat(32));
    await b.sync();
    expect(b.frames.filter(isSignal)).toEqual([]);
  });

  // Found by the fuzzer: `to` was any string and no-such-peer echoed it in both message and ref, so a
  // 64 KiB frame drew a 128 KiB reply.
  it('a signal to something that is not a peer id → bad-frame with a short reply', async () => {
    const a = await join(s, 'echo', 'a');
    const to = 'x'.repeat(60_000);
    a.send({ type: 'signal', to, data: 1 });
    const reply = await a.next((f) => f.type === 'error');
    expect(reply).toMatchObject({ code: 'bad-frame', ref: 'signal' });
    expect(JSON.stringify(reply).length).toBeLessThan(200);
  });

  // Numbers such as 1e20 print longer than they were written (100000000000000000000), so a frame under the
  // size limit could be relayed several times larger than the server accepts (the fuzzer trips on it too).
  it('a signal whose relay would exceed the frame limit → bad-frame, nothing relayed', async () => {
    const a = await join(s, 'grow', 'a');
    const b = await join(s, 'grow', 'b');
    const items = Math.floor((64 * 1024 - 64) / 5);
    const frame = `{"type":"signal","to":"b","data":[${Array<string>(items).fill('1e20').join(',')}]}`;
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(64 * 1024);
    a.send(frame);
    expect(await a.error('bad-frame')).toMatchObject({ ref: 'signal' });
    await b.sync();
    expect(b.frames.filter(isSignal)).toEqual([]);
  });
});

describe('shutdown', () => {
  it('close() ends open connections, frees the port and is idempotent', async () => {
    const s = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    const a = await TestClient.joined(s.url, 'bye', 'a');
    clients.push(a);
    await Promise.all([s.close(), s.close()]);
    await a.closed;
    await expect(TestClient.open(s.url)).rejects.toThrow();
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    const again = await startSignalingServer({ port: s.port, host: '127.0.0.1' });
    expect(again.port).toBe(s.port);
    await again.close();
  });
});
