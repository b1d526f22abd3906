// Rooms shared across signaling processes through a real redis-server: peers on different processes
// meet and signal each other, ids and the room cap are unique across processes, a process killed with
// SIGKILL has its peers announced as left, and what comes from Redis is validated like any input.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import { have, REDIS_SERVER, startRedis, type Redis as RedisServer } from '../support/servers';
import { TestClient } from './helpers';

const present = have(REDIS_SERVER);
if (!present && process.env.CI) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs redis-server`);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let redis: RedisServer | undefined;
const servers: SignalingServer[] = [];
const clients: TestClient[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (present) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of servers.splice(0)) await s.close();
  for (const ch of children.splice(0)) ch.kill('SIGKILL');
});

let prefixN = 0;
/** Each test its own key prefix: one redis-server, no state shared between tests. */
async function shared(count: number, limits = {}, ttlMs = 600): Promise<SignalingServer[]> {
  const prefix = `t${prefixN++}:`;
  for (let i = 0; i < count; i++) servers.push(await startSignalingServer({ port: 0, host: '127.0.0.1', limits, redis: { url: redis!.url, ttlMs, prefix } }));
  return servers.slice(-count);
}

async function join(s: SignalingServer | string, room: string, peer: string): Promise<TestClient> {
  const c = await TestClient.joined(typeof s === 'string' ? s : s.url, room, peer);
  clients.push(c);
  return c;
}

describe.skipIf(!present)('signaling shared through Redis', () => {
  it('peers on two processes meet, hear joins and leaves, and signal each other', async () => {
    const [a, b] = await shared(2);
    const x = await join(a!, 'r', 'x');
    const y = await TestClient.open(b!.url);
    clients.push(y);
    y.send({ type: 'join', room: 'r', peer: 'y' });
    expect(await y.next((f) => f.type === 'welcome')).toEqual({ type: 'welcome', room: 'r', peer: 'y', peers: ['x'] });
    expect(await x.next((f) => f.type === 'peer-joined')).toEqual({ type: 'peer-joined', peer: 'y' });
    x.send({ type: 'signal', to: 'y', data: { sdp: 'offer' } });
    expect(await y.next((f) => f.type === 'signal')).toEqual({ type: 'signal', from: 'x', data: { sdp: 'offer' } });
    y.send({ type: 'signal', to: 'x', data: { sdp: 'answer' } });
    expect(await x.next((f) => f.type === 'signal')).toEqual({ type: 'signal', from: 'y', data: { sdp: 'answer' } });
    await y.close();
    expect(await x.next((f) => f.type === 'peer-left')).toEqual({ type: 'peer-left', peer: 'y' });
    x.send({ type: 'signal', to: 'y', data: 1 });
    expect(await x.error('no-such-peer')).toMatchObject({ ref: 'y' });
  });

  it('an id held on one process is taken on the other, and the room cap counts both', async () => {
    const [a, b] = await shared(2, { maxPeersPerRoom: 2 });
    await join(a!, 'r', 'x');
    const dup = await TestClient.open(b!.url);
    clients.push(dup);
    dup.send({ type: 'join', room: 'r', peer: 'x' });
    expect(await dup.error('id-taken')).toMatchObject({ ref: 'x' });
    await join(b!, 'r', 'y');
    dup.send({ type: 'join', room: 'r', peer: 'z' });
    expect(await dup.error('room-full')).toMatchObject({ ref: 'r' });
    // Still usable: another room has room.
    dup.send({ type: 'join', room: 'r2', peer: 'x' });
    await dup.next((f) => f.type === 'welcome');
  });

  it('concurrent joins of one id on two processes: exactly one wins', async () => {
    const [a, b] = await shared(2);
    const [p, q] = [await TestClient.open(a!.url), await TestClient.open(b!.url)];
    clients.push(p, q);
    p.send({ type: 'join', room: 'r', peer: 'same' });
    q.send({ type: 'join', room: 'r', peer: 'same' });
    const outcome = async (c: TestClient) => (await c.next((f) => f.type === 'welcome' || (f.type === 'error' && f.code === 'id-taken'))).type;
    expect([await outcome(p), await outcome(q)].sort()).toEqual(['error', 'welcome']);
  });

  it("a process killed with SIGKILL: its peers are announced as left, and can rejoin on another", async () => {
    const [b] = await shared(1);
    const prefix = `t${prefixN - 1}:`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts', '--redis', redis!.url], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SIGNAL_REDIS_TTL_MS: '600', SIGNAL_REDIS_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /open (http:\/\/[^/]+)\//.exec(out);
        if (m) resolve(m[1]!.replace('localhost', '127.0.0.1'));
      });
      child.once('exit', (code) => reject(new Error(`signaling process exited ${code}: ${out}`)));
    });
    const x = await join(url, 'r', 'x');
    const y = await join(b!, 'r', 'y');
    expect((await x.next((f) => f.type === 'peer-joined'))).toEqual({ type: 'peer-joined', peer: 'y' });
    child.kill('SIGKILL');
    expect(await x.closeCode(5000)).toBe(1006);
    expect(await y.next((f) => f.type === 'peer-left', 10_000)).toEqual({ type: 'peer-left', peer: 'x' });
    const again = await join(b!, 'r', 'x');
    expect(await y.next((f) => f.type === 'peer-joined')).toEqual({ type: 'peer-joined', peer: 'x' });
    again.send({ type: 'signal', to: 'y', data: 'back' });
    expect(await y.next((f) => f.type === 'signal')).toEqual({ type: 'signal', from: 'x', data: 'back' });
  });

  it('ignores malformed and hostile messages from Redis, and keeps serving', async () => {
    const [a, b] = await shared(2);
    const prefix = `t${prefixN - 1}:`;
    const x = await join(a!, 'r', 'x');
    const y = await join(b!, 'r', 'y');
    await x.next((f) => f.type === 'peer-joined');
    const pub = new Redis(redis!.url);
    try {
      const procs = await pub.smembers(`${prefix}procs`);
      expect(procs).toHaveLength(2);
      const deep = JSON.stringify({ t: 'signal', room: 'r', from: 'evil', to: 'x', data: JSON.parse('['.repeat(100) + ']'.repeat(100)) });
      const garbage = ['', 'not json', '[]', '{"t":"signal"}', deep, JSON.stringify({ t: 'signal', room: 'r', from: 'e v', to: 'x', data: 1 }), 'x'.repeat(200_000)];
      for (const proc of procs) for (const g of garbage) await pub.publish(`${prefix}proc:${proc}`, g);
      for (const g of ['{"t":"join","peer":"z","proc":"nothex","seq":1}', '{"t":"join","peer":"z","proc":"' + 'a'.repeat(32) + '","seq":-1}', 'null']) {
        await pub.publish(`${prefix}ev:r`, g);
      }
    } finally {
      pub.disconnect();
    }
    // Still relaying, and none of the garbage reached a client.
    x.send({ type: 'signal', to: 'y', data: 'still here' });
    expect(await y.next((f) => f.type === 'signal')).toEqual({ type: 'signal', from: 'x', data: 'still here' });
    await x.sync();
    expect(x.frames.filter((f) => f.type !== 'error')).toEqual([]);
    expect(y.frames).toEqual([]);
  });
});

describe('signaling with an unreachable Redis', () => {
  it('refuses to start, naming the URL, rather than run alone', async () => {
    await expect(startSignalingServer({ port: 0, host: '127.0.0.1', redis: { url: 'redis://127.0.0.1:1' }, log: () => {} })).rejects.toThrow(/cannot use Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
