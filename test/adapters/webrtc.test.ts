// WebRTC transport behaviour beyond the shared contract: signaling outages, identity, framing; and
// the split with core/liveness.ts over real data channels: the adapter reports what it sees (messages,
// channels opening and closing, a peer leaving the signaling server), the core's liveness decides
// who is dead from its heartbeats, hidden tabs included, and drops their links.

import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { IdTakenError, SignalingClient } from '../../src/adapters/webrtc/signaling-client';
import type { WebRtcTransport } from '../../src/adapters/webrtc/transport';
import { DynamoCore, type NodeConfig } from '../../src/core/node';
import { nodeSocket, openNodeTransport } from '../support/webrtc-node';
import { until, waitFor } from '../support/wait';

let server: SignalingServer | undefined;
const open: WebRtcTransport[] = [];
const running: DynamoCore[] = [];

async function start(): Promise<string> {
  server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  return `${server.url.replace('http', 'ws')}/signal`;
}

async function pair(url: string, opts: Record<string, number> = {}) {
  const a = await openNodeTransport(url, 'r', 'a', opts);
  const b = await openNodeTransport(url, 'r', 'b', opts);
  open.push(a, b);
  await until(() => a.peers().length === 1 && b.peers().length === 1, 10_000, 'link a-b');
  return [a, b] as const;
}

/** Full nodes over WebRTC in one room, each seeing every other up. */
async function ring(url: string, ids: string[], config: Partial<NodeConfig>): Promise<Array<{ core: DynamoCore; t: WebRtcTransport }>> {
  const nodes: Array<{ core: DynamoCore; t: WebRtcTransport }> = [];
  for (const id of ids) {
    const t = await openNodeTransport(url, 'r', id);
    open.push(t);
    const core = await DynamoCore.start({ id, transport: t, storage: memoryStorage(), clock: systemClock, random: systemRandom }, { antiEntropy: false, ...config });
    running.push(core);
    nodes.push({ core, t });
  }
  const allUp = () => nodes.every(({ core }) => core.members().length === ids.length && core.members().every((m) => m.status === 'up'));
  await until(allUp, 10_000, 'ring up');
  return nodes;
}

const statusOf = (core: DynamoCore, id: string) => core.members().find((m) => m.id === id)?.status;

/** The peer's tab hangs: its channel stays open, but nothing it writes goes out any more. */
function mute(t: WebRtcTransport): void {
  (t as unknown as { write: () => boolean }).write = () => true;
}

const FAST = { heartbeatMs: 100, deadAfterMs: 600 };

afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
  for (const t of open.splice(0)) await t.close();
  await server?.close();
  server = undefined;
});

describe('WebRTC transport with core liveness', () => {
  it('a silent peer is found down by heartbeats, with no close event, and its link is dropped', async () => {
    const [a, b] = await ring(await start(), ['a', 'b'], FAST);
    const linkDowns = a!.t.stats().linkDowns;
    mute(b!.t);
    await until(() => statusOf(a!.core, 'b') === 'down', 10_000, 'b down by silence');
    await until(() => a!.t.stats().linkDowns > linkDowns, 5_000, 'link dropped');
  });

  it('gives a peer that said its tab is hidden longer before calling it down', async () => {
    const [a, b, c] = await ring(await start(), ['a', 'b', 'c'], { ...FAST, hiddenDeadAfterMs: 3_000 });
    b!.core.setHidden(true);
    await until(() => a!.core.hiddenPeers().includes('b'), 5_000, 'a hears b is hidden');
    expect(a!.core.hiddenPeers()).toEqual(['b']);
    // Both go silent at once, as a throttled or frozen background tab and a hung one may.
    mute(b!.t);
    mute(c!.t);
    await until(() => statusOf(a!.core, 'c') === 'down', 10_000, 'c down by the normal allowance');
    expect(statusOf(a!.core, 'b')).toBe('up');
    await until(() => statusOf(a!.core, 'b') === 'down', 10_000, 'b down after the hidden allowance');
  });

  it('a tab that is visible again gets the normal allowance back', async () => {
    const [a, b] = await ring(await start(), ['a', 'b'], { ...FAST, hiddenDeadAfterMs: 60_000 });
    b!.core.setHidden(true);
    await until(() => a!.core.hiddenPeers().length === 1, 5_000, 'hidden');
    b!.core.setHidden(false);
    await until(() => a!.core.hiddenPeers().length === 0, 5_000, 'visible');
    mute(b!.t);
    await until(() => statusOf(a!.core, 'b') === 'down', 10_000, 'b down by the normal allowance');
  });

  it('when the signaling server says a peer left, liveness probes it: a live one stays, a hung one is down', async () => {
    const [a, b, c] = await ring(await start(), ['a', 'b', 'c'], { heartbeatMs: 100, deadAfterMs: 60_000, probeMs: 500 });
    const signaling = (t: WebRtcTransport) => (t as unknown as { o: { signaling: SignalingClient } }).o.signaling;
    signaling(b!.t).close(); // b's socket to the server drops; its data channels are fine
    mute(c!.t);
    signaling(c!.t).close();
    // Silence alone would take a minute: c is down by the probe.
    await until(() => statusOf(a!.core, 'c') === 'down', 10_000, 'c down by the probe');
    expect(statusOf(a!.core, 'b')).toBe('up');
  });

  it('keeps idle links up: heartbeats are answered', async () => {
    const [a, b] = await ring(await start(), ['a', 'b'], FAST);
    const before = a!.t.stats().linkDowns;
    const sent = a!.t.stats().framesSent;
    await until(() => a!.t.stats().framesSent >= sent + 5, 5_000, 'several heartbeats');
    expect(a!.t.stats().linkDowns).toBe(before);
    expect(statusOf(a!.core, 'b')).toBe('up');
    expect(b!.t.peers()).toEqual(['a']);
  });
});

describe('WebRTC transport', () => {
  it('reports no silent peer down by itself: that is liveness\'s call', async () => {
    const [a, b] = await pair(await start());
    mute(b);
    const downs: string[] = [];
    a.onPeerDown((p) => downs.push(p));
    // A peer leaving signaling is a hint, not a down.
    const hint = waitFor(a.onPeerHint.bind(a), (p) => p === 'b', 5_000, 'hint');
    (b as unknown as { o: { signaling: SignalingClient } }).o.signaling.close();
    await hint;
    expect(downs).toEqual([]);
    expect(a.peers()).toEqual(['b']);
  });

  it('keeps links and delivery when the signaling server goes away', async () => {
    const [a, b] = await pair(await start());
    await server?.close();
    server = undefined;
    const got = waitFor<[string, string]>(b.onMessage.bind(b), () => true, 5_000, 'message');
    expect(a.send('b', 'still here')).toBe(true);
    expect((await got)[1]).toBe('still here');
    expect(a.peers()).toEqual(['b']);
  });

  it('packs the messages of one task into few frames, in order, chunked ones included', async () => {
    const [a, b] = await pair(await start(), { chunkChars: 1024 });
    const got: string[] = [];
    b.onMessage((_from, d) => got.push(d));
    const want = Array.from({ length: 300 }, (_, i) => (i % 100 === 50 ? `big${i}:${'y'.repeat(5000)}` : `m${i}`));
    const framesBefore = a.stats().framesSent;
    for (const m of want) expect(a.send('b', m)).toBe(true);
    await until(() => got.length === want.length, 10_000, '300 messages');
    expect(got).toEqual(want);
    // 297 small ones fit a few 1 KiB batches; each 5 KB one takes 5 chunks.
    expect(a.stats().framesSent - framesBefore).toBeLessThan(40);
    expect(b.stats().messagesReceived).toBe(want.length);
  });

  it('on an idle tab, sends the messages of one task at the end of that task, packed in one frame', async () => {
    const [a, b] = await pair(await start());
    const got: string[] = [];
    b.onMessage((_from, d) => got.push(d));
    // Idle: nothing of next-task's has run for longer than its lag measurement stays fresh (100 ms).
    // Without this wait, a loaded CI machine had just measured the loop busy, and batching took a task.
    await new Promise((r) => setTimeout(r, 150));
    const before = a.stats().framesSent;
    for (let i = 0; i < 50; i++) a.send('b', `m${i}`);
    expect(a.stats().framesSent - before).toBe(0);
    // A microtask later, not a task later: one request at a time, the task hop is only latency.
    await Promise.resolve();
    expect(a.stats().framesSent - before).toBe(1);
    await until(() => got.length === 50, 10_000, '50 messages');
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('counts and drops a malformed batch frame, and keeps the link', async () => {
    const [a, b] = await pair(await start());
    const raw = a as unknown as { links: Map<string, unknown>; write(link: unknown, frame: string): boolean };
    raw.write(raw.links.get('b'), 'b9:short');
    const got = waitFor<[string, string]>(b.onMessage.bind(b), () => true, 5_000, 'message after the bad frame');
    expect(a.send('b', 'fine')).toBe(true);
    expect((await got)[1]).toBe('fine');
    expect(b.stats().malformedDropped).toBe(1);
    expect(b.peers()).toEqual(['a']);
  });

  it('drops an oversize message whole, counts it once, and delivers the next message (not the dropped one\'s tail)', async () => {
    const [a, b] = await pair(await start(), { heartbeatMs: 100, deadAfterMs: 600, chunkChars: 16, maxMessageChars: 40 });
    const got: string[] = [];
    b.onMessage((_from, d) => got.push(d));
    // 100 characters go out as 7 chunks of 16; b's limit of 40 is passed at the third.
    expect(a.send('b', 'x'.repeat(100))).toBe(true);
    expect(a.send('b', 'after')).toBe(true);
    await until(() => got.includes('after'), 5_000, 'the message after the oversize one');
    expect(got).toEqual(['after']);
    expect(b.stats().oversizeDropped).toBe(1);
    expect(b.stats().malformedDropped).toBe(0);
  });

  it('refuses a second connection with an id already in the room', async () => {
    const url = await start();
    const first = await SignalingClient.connect({ url, room: 'r', peer: 'dup', socket: nodeSocket });
    await expect(SignalingClient.connect({ url, room: 'r', peer: 'dup', socket: nodeSocket })).rejects.toBeInstanceOf(
      IdTakenError,
    );
    const other = await SignalingClient.connect({ url, room: 'r', peer: 'fresh', socket: nodeSocket });
    expect(other.peers()).toEqual(['dup']);
    first.close();
    other.close();
  });

  it('holds signals that arrive before anyone listens, and delivers them to the first listener', async () => {
    const url = await start();
    const late = await SignalingClient.connect({ url, room: 'r', peer: 'late', socket: nodeSocket });
    const eager = await SignalingClient.connect({ url, room: 'r', peer: 'eager', socket: nodeSocket });
    expect(eager.sendSignal('late', { type: 'offer', n: 1 })).toBe(true);
    await until(() => (late as unknown as { early: unknown[] }).early.length === 1, 5_000, 'signal held');
    const got = await waitFor<[string, unknown]>(late.onSignal.bind(late), () => true, 1_000, 'held signal');
    expect(got).toEqual(['eager', { type: 'offer', n: 1 }]);
    late.close();
    eager.close();
  });

  it('rejects with a clear error when the signaling server is unreachable', async () => {
    await expect(
      SignalingClient.connect({ url: 'ws://127.0.0.1:1/signal', room: 'r', peer: 'x', socket: nodeSocket }),
    ).rejects.toThrow(/unreachable/);
  });
});
