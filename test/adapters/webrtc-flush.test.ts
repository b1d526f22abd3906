// flush(): what is queued goes out now, not in a later task (a page about to be frozen runs none).
import { afterEach, expect, it } from 'vitest';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import type { WebRtcTransport } from '../../src/adapters/webrtc/transport';
import { openNodeTransport } from '../support/webrtc-node';
import { until, waitFor } from '../support/wait';

let server: SignalingServer | undefined;
const open: WebRtcTransport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  await server?.close();
});

it('flush() writes the queued messages synchronously', async () => {
  server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const url = `${server.url.replace('http', 'ws')}/signal`;
  const a = await openNodeTransport(url, 'r', 'a');
  const b = await openNodeTransport(url, 'r', 'b');
  open.push(a, b);
  await until(() => a.peers().length === 1 && b.peers().length === 1, 10_000, 'link a-b');
  const got = waitFor<[string, string]>((fn) => b.onMessage(fn), (_, data) => data === 'hello');
  const before = a.stats().framesSent;
  a.send('b', 'hello');
  expect(a.stats().framesSent).toBe(before); // queued for the next task
  a.flush();
  expect(a.stats().framesSent).toBe(before + 1);
  await got;
});
