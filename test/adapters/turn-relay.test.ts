// ICE end to end in Node over a real coturn on loopback: with iceTransportPolicy 'relay' and no TURN
// server two peers never connect; with the TURN credentials the signaling server mints at /ice.json
// (coturn use-auth-secret) they connect through the relay, and coturn logs the allocations.

import { afterEach, describe, expect, it } from 'vitest';
import { iceFromEnv } from '../../signaling/ice';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import type { WebRtcTransport } from '../../src/adapters/webrtc/transport';
import { fetchIceConfig } from '../../src/runtime/ice';
import { have, startTurn, TURNSERVER, type Turn } from '../support/servers';
import { until, waitFor } from '../support/wait';
import { openNodeTransport } from '../support/webrtc-node';

const present = have(TURNSERVER);
if (!present && process.env.CI) throw new Error(`${TURNSERVER} is missing: .ci/run installs coturn`);

let server: SignalingServer | undefined;
let turn: Turn | undefined;
const open: WebRtcTransport[] = [];

afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  await server?.close();
  await turn?.stop();
  server = turn = undefined;
});

describe.skipIf(!present)(`TURN relay on loopback (${TURNSERVER})`, () => {
  it('relay-only peers with no TURN server never connect', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    const url = `${server.url.replace('http', 'ws')}/signal`;
    const opts = { iceServers: [], iceTransportPolicy: 'relay' as const, connectTimeoutMs: 1500 };
    const a = await openNodeTransport(url, 'r', 'a', opts);
    const b = await openNodeTransport(url, 'r', 'b', opts);
    open.push(a, b);
    // The initiator gives up on the link: it has no candidate at all to offer.
    await until(() => a.stats().connectTimeouts + b.stats().connectTimeouts >= 1, 10_000, 'a connect timeout');
    expect(a.peers()).toEqual([]);
    expect(b.peers()).toEqual([]);
  });

  it('relay-only peers meet through coturn with credentials minted by /ice.json', async () => {
    turn = await startTurn({ ips: ['127.0.0.1'], secret: 'north', loopbackPeers: true });
    const ice = iceFromEnv({ TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`, TURN_SECRET: 'north', ICE_TRANSPORT_POLICY: 'relay' });
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', ice });
    const url = `${server.url.replace('http', 'ws')}/signal`;
    const cfg = await fetchIceConfig(`${server.url}/ice.json`, (u, init) => fetch(u, init));
    expect(cfg.iceTransportPolicy).toBe('relay');
    const a = await openNodeTransport(url, 'r', 'a', cfg);
    const b = await openNodeTransport(url, 'r', 'b', cfg);
    open.push(a, b);
    await until(() => a.peers().length === 1 && b.peers().length === 1, 15_000, 'link a-b through the relay');
    const got = waitFor<[string, string]>((fn) => b.onMessage(fn), (from) => from === 'a');
    a.send('b', 'through the relay');
    expect((await got)[1]).toBe('through the relay');
    // Each side allocated a relay with its REST-API username (expiry:id), and data flowed through it.
    expect(turn.log()).toMatch(/ALLOCATE processed, success/);
    expect(turn.log()).toMatch(/user <\d+:[0-9a-f]{16}>/);
  });
});
