// The WebRTC transport in a protected room, over real data channels (simple-peer + @roamhq/wrtc):
// the peer handshake runs before a link is reported up; a peer with another secret, one that sends
// anything before proving itself, and one that stays silent are dropped and counted, and nothing
// they sent is delivered.

import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import { deriveRoomKeys, type RoomKeys } from '../../src/adapters/secret/room-key';
import type { WebRtcTransport } from '../../src/adapters/webrtc/transport';
import { openProtectedTransport } from '../support/webrtc-node';
import { until, waitFor } from '../support/wait';

let server: SignalingServer | undefined;
const open: WebRtcTransport[] = [];
let keys: RoomKeys | undefined;

async function setup(): Promise<{ url: string; keys: RoomKeys }> {
  server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  keys ??= await deriveRoomKeys('room', 'the secret', 1000);
  return { url: `${server.url.replace('http', 'ws')}/signal`, keys };
}

async function transport(...args: Parameters<typeof openProtectedTransport>): Promise<WebRtcTransport> {
  const t = await openProtectedTransport(...args);
  open.push(t);
  return t;
}

afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  await server?.close();
  server = undefined;
});

describe('WebRTC transport, protected room', () => {
  it('links two holders of the secret once both passed the handshake, and delivers messages', async () => {
    const { url, keys } = await setup();
    const a = await transport(url, keys, 'a');
    const b = await transport(url, keys, 'b');
    await until(() => a.peers().length === 1 && b.peers().length === 1, 10_000, 'link a-b');
    expect([a.stats().authenticated, b.stats().authenticated]).toEqual([1, 1]);
    const got = waitFor<[string, string]>(b.onMessage.bind(b), () => true, 5_000, 'message');
    expect(a.send('b', 'hello')).toBe(true);
    expect(await got).toEqual(['a', 'hello']);
    expect(a.stats().authFailed + b.stats().authFailed + a.stats().signalsRejected + b.stats().signalsRejected).toBe(0);
  });

  it('never brings up a peer holding another secret\'s auth key; both sides count the failure', async () => {
    const { url, keys } = await setup();
    const other = await deriveRoomKeys('room', 'another secret', 1000);
    const a = await transport(url, keys, 'a');
    const ups: string[] = [];
    a.onPeerUp((p) => ups.push(p));
    // Same room id and signaling key, so the channel opens; only the handshake can tell.
    const b = await transport(url, { ...keys, auth: other.auth }, 'b');
    b.onPeerUp((p) => ups.push(p));
    await until(() => a.stats().authFailed >= 1 && b.stats().authFailed >= 1, 10_000, 'both refuse');
    expect(ups).toEqual([]);
    expect([a.peers(), b.peers()]).toEqual([[], []]);
    expect(a.stats().authenticated + b.stats().authenticated).toBe(0);
  });

  it('drops a peer that sends a message before proving itself, and delivers none of it', async () => {
    const { url, keys } = await setup();
    const a = await transport(url, keys, 'a');
    const got: string[] = [];
    a.onMessage((_from, d) => got.push(d));
    // Has the signaling key but skips the handshake: its channel opens and it writes at once.
    const m = await transport(url, keys, 'm', { handshake: false });
    m.onPeerUp((p) => m.send(p, JSON.stringify({ type: 'put', key: 'stolen' })));
    await until(() => a.stats().authFailed >= 1, 10_000, 'a refuses m');
    expect(m.stats().messagesSent).toBeGreaterThanOrEqual(1);
    expect(got).toEqual([]);
    expect(a.stats().messagesReceived).toBe(0);
    expect(a.peers()).toEqual([]);
  });

  it('drops a peer that stays silent past the deadline, counted as a timeout', async () => {
    const { url, keys } = await setup();
    const a = await transport(url, keys, 'a', { authTimeoutMs: 300 });
    const ups: string[] = [];
    a.onPeerUp((p) => ups.push(p));
    await transport(url, keys, 's', { handshake: false });
    await until(() => a.stats().authTimeouts >= 1, 10_000, 'a gives up on s');
    expect(ups).toEqual([]);
    expect(a.stats().authFailed).toBe(0);
  });
});
