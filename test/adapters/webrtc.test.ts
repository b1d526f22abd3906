// WebRTC transport behaviour beyond the shared contract: heartbeats, signaling outages, identity.

import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import { IdTakenError, SignalingClient } from '../../src/adapters/webrtc/signaling-client';
import type { WebRtcTransport } from '../../src/adapters/webrtc/transport';
import { nodeSocket, openNodeTransport } from '../support/webrtc-node';
import { until, waitFor } from '../support/wait';

let server: SignalingServer | undefined;
const open: WebRtcTransport[] = [];

async function start(): Promise<string> {
  server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  return `${server.url.replace('http', 'ws')}/signal`;
}

async function pair(url: string, opts: Record<string, number> = { heartbeatMs: 100, deadAfterMs: 600 }) {
  const a = await openNodeTransport(url, 'r', 'a', opts);
  const b = await openNodeTransport(url, 'r', 'b', opts);
  open.push(a, b);
  await until(() => a.peers().length === 1 && b.peers().length === 1, 10_000, 'link a-b');
  return [a, b] as const;
}

afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  await server?.close();
  server = undefined;
});

describe('WebRTC transport', () => {
  it('reports a silent peer down by heartbeat, without any close event', async () => {
    const [a, b] = await pair(await start());
    // Freeze b: it stops writing anything, as a hung tab would, but its channel stays open.
    (b as unknown as { write: () => boolean }).write = () => true;
    const t0 = Date.now();
    await waitFor(a.onPeerDown.bind(a), (p) => p === 'b', 5_000, 'b down by heartbeat');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('gives a peer that said its tab is hidden longer before reporting it down', async () => {
    const opts = { heartbeatMs: 100, deadAfterMs: 600, hiddenDeadAfterMs: 2_500 };
    const [a, b] = await pair(await start(), opts);
    b.setHidden(true);
    await until(() => a.hiddenPeers().includes('b'), 5_000, 'a hears b is hidden');
    // b now goes silent, as a throttled or frozen background tab may.
    (b as unknown as { write: () => boolean }).write = () => true;
    const t0 = Date.now();
    await waitFor(a.onPeerDown.bind(a), (p) => p === 'b', 10_000, 'b down after the hidden allowance');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThan(1_500);
    expect(took).toBeLessThan(5_000);
  });

  it('a tab that is visible again gets the normal allowance back', async () => {
    const [a, b] = await pair(await start(), { heartbeatMs: 100, deadAfterMs: 600, hiddenDeadAfterMs: 60_000 });
    b.setHidden(true);
    await until(() => a.hiddenPeers().length === 1, 5_000, 'hidden');
    b.setHidden(false);
    await until(() => a.hiddenPeers().length === 0, 5_000, 'visible');
    (b as unknown as { write: () => boolean }).write = () => true;
    await waitFor(a.onPeerDown.bind(a), (p) => p === 'b', 3_000, 'b down by the normal heartbeat');
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

  it('keeps idle links up: heartbeats are answered', async () => {
    const [a, b] = await pair(await start());
    const before = a.stats().linkDowns;
    const sent = a.stats().framesSent;
    await until(() => a.stats().framesSent >= sent + 5, 5_000, 'several heartbeats');
    expect(a.stats().linkDowns).toBe(before);
    expect(b.peers()).toEqual(['a']);
  });

  it('packs the messages of one task into few frames, in order, chunked ones included', async () => {
    const [a, b] = await pair(await start(), { heartbeatMs: 60_000, deadAfterMs: 120_000, chunkChars: 1024 });
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
