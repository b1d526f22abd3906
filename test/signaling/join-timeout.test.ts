// The time a connection may spend outside a room: it joins within joinTimeoutMs or is closed with 4408.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/wait';
import { Harness, TestClient } from './helpers';

const h = new Harness();
afterEach(() => {
  h.terminateClients();
  expect(h.internalErrors).toEqual([]);
});
afterAll(() => h.closeServers());

// Long enough that a client which means to join always does on a loaded machine; short enough for CI.
const JOIN_MS = 500;

describe('join timeout', () => {
  it('closes a connection that never joins with 4408; a joined one stays', async () => {
    const s = await h.start({ joinTimeoutMs: JOIN_MS });
    const joined = await h.join(s, 'jt', 'a');
    const idle = await h.open(s);
    expect(await idle.closeCode(JOIN_MS + 2000)).toBe(4408);
    await joined.sync();
    expect(s.stats().closed.joinTimeout).toBe(1);
  });

  it('closes idle never-joined sockets in bulk', async () => {
    const s = await h.start({ joinTimeoutMs: 100, maxConnsPerAddress: 1000 });
    const idle = await Promise.all(Array.from({ length: 50 }, () => h.open(s)));
    expect(await Promise.all(idle.map((c) => c.closeCode(5000)))).toEqual(idle.map(() => 4408));
    await until(() => s.stats().connections === 0, 2000, 'every socket to be gone');
  });

  it('a connection that leaves its room must join again in time', async () => {
    const s = await h.start({ joinTimeoutMs: JOIN_MS });
    const c = await h.join(s, 'again', 'a');
    c.send({ type: 'leave' });
    expect(await c.closeCode(JOIN_MS + 2000)).toBe(4408);
  });

  it('a refused join does not end the connection when a retry joins in time', async () => {
    const s = await h.start({ joinTimeoutMs: JOIN_MS });
    await h.join(s, 'retry', 'a');
    const dup = await h.open(s);
    dup.send({ type: 'join', room: 'retry', peer: 'a' });
    await dup.error('id-taken');
    dup.send({ type: 'join', room: 'retry', peer: 'a-2' });
    await dup.next((f) => f.type === 'welcome');
    // Past the timeout from connect: a joined connection is left alone.
    const late = await TestClient.open(s.url);
    h.clients.push(late);
    expect(await late.closeCode(JOIN_MS + 2000)).toBe(4408);
    await dup.sync();
  });
});
