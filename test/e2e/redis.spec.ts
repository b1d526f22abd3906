// Signaling on Redis with real tabs: two signaling processes share one redis-server; tabs split across
// them (each half through its own failover front, as behind a load balancer) form one ring. Then one
// process is killed with SIGKILL: its tabs reconnect through the other, no member is lost, and a new tab
// meets all of them through the survivor.

import { expect, test, type Page } from '@playwright/test';
import { failoverProxy, type Front } from '../support/failover-proxy';
import { have, REDIS_SERVER, startRedis, startSignalProcess, type Redis, type SignalProcess } from '../support/servers';
import { expectPeers, freshRoom, nodeId } from './helpers';

const present = have(REDIS_SERVER);
if (!present && process.env.CI) throw new Error(`${REDIS_SERVER} is missing: .ci/run installs redis-server`);

async function healthz(url: string): Promise<{ peers: number }> {
  return (await (await fetch(`${url}/healthz`)).json()) as { peers: number };
}

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const upMembers = (page: Page) => page.evaluate(() => window.dynamo!.members().filter((m) => m.status === 'up').map((m) => m.id).sort());

test.skip(!present, `${REDIS_SERVER} is not installed`);

test('tabs on two signaling processes form one ring, and survive one process dying', async ({ browser }) => {
  test.setTimeout(90_000);
  let redis: Redis | undefined;
  const procs: SignalProcess[] = [];
  const fronts: Front[] = [];
  try {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, SIGNAL_REDIS_TTL_MS: '1000' };
    // In parallel, each kept as soon as it runs, so a failure of one still stops the other.
    await Promise.all([0, 1].map(async () => procs.push(await startSignalProcess(env))));
    const [a, b] = procs as [SignalProcess, SignalProcess];
    fronts.push(await failoverProxy([a.port, b.port]), await failoverProxy([b.port, a.port]));
    const room = freshRoom('redis');
    const context = await browser.newContext();
    const open = async (front: Front) => {
      const page = await context.newPage();
      await page.goto(`${front.url}/?room=${room}`);
      await page.waitForFunction(() => window.dynamo !== undefined);
      return page;
    };
    const tabs = [await open(fronts[0]!), await open(fronts[0]!), await open(fronts[1]!), await open(fronts[1]!)];
    for (const t of tabs) await expectPeers(t, 3, 20_000);
    expect((await healthz(a.url)).peers).toBe(2);
    expect((await healthz(b.url)).peers).toBe(2);
    const ids = (await Promise.all(tabs.map(nodeId))).sort();
    for (const t of tabs) await until(async () => JSON.stringify(await upMembers(t)) === JSON.stringify(ids), 20_000, 'ring of 4 up');
    const put = await tabs[0]!.evaluate(() => window.dynamo!.put('k', 'before').then((r) => r.replicas));
    expect(put).toBeGreaterThanOrEqual(2);

    await a.stop(); // SIGKILL
    // Its two tabs reconnect through their front to B, once B has reaped A's peers.
    await until(async () => (await healthz(b.url)).peers === 4, 30_000, 'all four tabs on B');
    for (const t of tabs) expect(await upMembers(t)).toEqual(ids);
    const newcomer = await open(fronts[0]!);
    await expectPeers(newcomer, 4, 20_000);
    expect(await newcomer.evaluate(() => window.dynamo!.get('k').then((r) => r.values))).toEqual(['before']);
    await tabs[1]!.evaluate(() => window.dynamo!.put('k2', 'after'));
    expect(await tabs[3]!.evaluate(() => window.dynamo!.get('k2').then((r) => r.values))).toEqual(['after']);
    await context.close();
  } finally {
    for (const f of fronts) await f.close();
    for (const p of procs) await p.stop();
    await redis?.stop();
  }
});
