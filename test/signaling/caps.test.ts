// Connection caps: WebSocket connections per remote address (HTTP 429) and in all (HTTP 503).

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/wait';
import { Harness, refusedStatus } from './helpers';

const h = new Harness();
afterEach(() => {
  h.terminateClients();
  expect(h.internalErrors).toEqual([]);
});
afterAll(() => h.closeServers());

describe('connection caps', () => {
  it('refuses a connection past the per-address cap with HTTP 429; other addresses and freed slots are fine', async () => {
    const s = await h.start({ maxConnsPerAddress: 3 });
    const first = await h.open(s);
    await h.open(s);
    await h.open(s);
    expect(await refusedStatus(s.url)).toBe(429);
    // The whole of 127/8 is loopback on Linux: another source address is another client.
    const elsewhere = await h.open(s, { localAddress: '127.0.0.2' });
    await elsewhere.sync();
    await first.close();
    await until(() => s.stats().connections === 3, 2000, 'the server to see the close');
    await h.open(s);
    expect(await refusedStatus(s.url)).toBe(429);
    expect(s.stats().refused.perAddress).toBe(2);
  });

  it('refuses a connection past the total cap with HTTP 503', async () => {
    const s = await h.start({ maxConnections: 2 });
    await h.open(s);
    await h.open(s, { localAddress: '127.0.0.2' });
    expect(await refusedStatus(s.url, { localAddress: '127.0.0.3' })).toBe(503);
    expect(s.stats().refused.total).toBe(1);
  });

  it('the default per-address cap admits the e2e suite, whose tabs all come from 127.0.0.1', async () => {
    const s = await h.start();
    const tabs = await Promise.all(Array.from({ length: 24 }, (_, i) => h.join(s, 'e2e', `tab${i}`)));
    await Promise.all(tabs.map((t) => t.sync()));
  });
});
