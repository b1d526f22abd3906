// Peers on two networks that cannot route to each other: two network namespaces, each with its own
// Chromium, and coturn plus the signaling server on the host ends of their veths. Without TURN the two
// sides never connect; with TURN (credentials minted by /ice.json) they form one ring that serves reads
// and writes, splits into quorum errors and hints when the relay dies, and heals when it comes back.

import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { iceFromEnv } from '../../signaling/ice';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import { chromiumArgs, chromiumPath } from '../support/chromium';
import { chromiumInNetns, createNetns, type Netns } from '../support/netns';
import { canUseNetns, have, startTurn, TURNSERVER, type Turn } from '../support/servers';
import { expectPeers, freshRoom, nodeId } from './helpers';

const missing = [!canUseNetns() && 'root and `ip netns`', !have(TURNSERVER) && TURNSERVER, !chromiumPath && '/usr/bin/chromium'].filter(Boolean);
if (missing.length > 0 && process.env.CI) throw new Error(`turn.spec.ts needs ${missing.join(', ')} in CI (.ci/run installs them)`);
test.skip(missing.length > 0, `needs ${missing.join(', ')}`);

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
const SECRET = 'turn-test-shared-secret';

interface Side {
  ns: Netns;
  browser: Browser;
  removeWrapper(): void;
}

async function side(name: string, subnet: number, port: number): Promise<Side> {
  const ns = createNetns(name, subnet);
  const wrapper = chromiumInNetns(name);
  try {
    const browser = await chromium.launch({ executablePath: wrapper.path, args: [...chromiumArgs, `--unsafely-treat-insecure-origin-as-secure=http://${ns.hostIp}:${port}`] });
    return { ns, browser, removeWrapper: wrapper.remove };
  } catch (err) {
    wrapper.remove();
    ns.remove();
    throw err;
  }
}

async function openTab(s: Side, port: number, room: string): Promise<Page> {
  const page = await s.browser.newPage();
  page.on('pageerror', (err) => console.error(`[page error ${s.ns.name}] ${err.message}`));
  await page.goto(`http://${s.ns.hostIp}:${port}/?room=${room}`);
  await page.waitForFunction(() => window.dynamo !== undefined);
  return page;
}

const connectTimeouts = (p: Page) => p.evaluate(() => window.dynamo!.stats().transport.connectTimeouts);
const upIds = (p: Page) => p.evaluate(() => window.dynamo!.members().filter((m) => m.status === 'up').map((m) => m.id).sort());

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('two networks: no TURN, no ring; with TURN one ring that survives losing the relay and heals', async () => {
  test.setTimeout(180_000);
  const tag = `dn${process.pid % 10000}`;
  const sides: Side[] = [];
  const servers: SignalingServer[] = [];
  let turn: Turn | undefined;
  try {
    // Bound on every address: each namespace reaches it at the host end of its own veth.
    const plain = await startSignalingServer({ port: 0, host: '0.0.0.0', staticDir: DIST });
    servers.push(plain);
    sides.push(await side(`${tag}a`, 1, plain.port), await side(`${tag}b`, 2, plain.port));
    const [a, b] = sides as [Side, Side];

    // 1. No TURN: each side's tabs meet each other, never the other side's.
    const room1 = freshRoom('noturn');
    const a1 = await openTab(a, plain.port, room1);
    const a2 = await openTab(a, plain.port, room1);
    const b1 = await openTab(b, plain.port, room1);
    await expectPeers(a1, 1, 20_000);
    await expectPeers(a2, 1, 20_000);
    await until(async () => (await connectTimeouts(a1)) + (await connectTimeouts(a2)) + (await connectTimeouts(b1)) >= 2, 40_000, 'both cross links to give up');
    for (const [p, n] of [[a1, 1], [a2, 1], [b1, 0]] as const) expect(await p.evaluate(() => window.dynamo!.transport.peers().length), 'peers').toBe(n);
    for (const p of [a1, a2, b1]) await p.close();

    // 2. With TURN on both host ends, credentials minted per page by /ice.json.
    turn = await startTurn({ ips: [a.ns.hostIp, b.ns.hostIp], secret: SECRET });
    const turnUrls = [a, b].map((s) => `turn:${s.ns.hostIp}:${turn!.port}?transport=udp`).join(',');
    const withTurn = await startSignalingServer({ port: 0, host: '0.0.0.0', staticDir: DIST, ice: iceFromEnv({ TURN_URLS: turnUrls, TURN_SECRET: SECRET }) });
    servers.push(withTurn);
    const room = freshRoom('turn');
    const tabs = [await openTab(a, withTurn.port, room), await openTab(a, withTurn.port, room), await openTab(b, withTurn.port, room), await openTab(b, withTurn.port, room)];
    for (const t of tabs) await expectPeers(t, 3, 30_000);
    const ids = (await Promise.all(tabs.map(nodeId))).sort();
    for (const t of tabs) await until(async () => JSON.stringify(await upIds(t)) === JSON.stringify(ids), 30_000, 'ring of 4 up everywhere');
    expect(turn.log()).toMatch(/ALLOCATE processed, success/);
    await tabs[0]!.evaluate(() => window.dynamo!.put('cross', 'from a', undefined, { w: 3 }));
    expect(await tabs[3]!.evaluate(() => window.dynamo!.get('cross', { r: 3 }).then((r) => r.values))).toEqual(['from a']);

    // 3. The relay dies: each side sees the other down; W=3 cannot be met, W=2 is met with hints.
    const port = turn.port;
    await turn.stop();
    await until(async () => (await upIds(tabs[0]!)).length === 2 && (await upIds(tabs[3]!)).length === 2, 30_000, 'the sides to split');
    const refused = await tabs[0]!.evaluate(() =>
      window.dynamo!.put('split', 'w3', undefined, { w: 3, timeoutMs: 3000 }).then(
        () => 'stored',
        (e: Error) => e.name,
      ),
    );
    expect(refused).toBe('QuorumError');
    const ctx = await tabs[0]!.evaluate(() => window.dynamo!.get('cross', { r: 2 }).then((r) => r.context));
    expect(await tabs[0]!.evaluate((c) => window.dynamo!.put('cross', 'during split', c, { w: 2 }).then((r) => r.replicas), ctx)).toBeGreaterThanOrEqual(2);
    // A key whose primaries are mostly on the other side: W=2 here needs a fallback, which keeps a hint.
    const bIds = await Promise.all(tabs.slice(2).map(nodeId));
    const hinted = await tabs[0]!.evaluate((others) => {
      for (let i = 0; ; i++) if (window.dynamo!.preferenceList(`h${i}`).slice(0, 3).filter((id) => others.includes(id)).length >= 2) return `h${i}`;
    }, bIds);
    const stored = () => Promise.all(tabs.slice(0, 2).map((t) => t.evaluate(() => window.dynamo!.stats().hints.stored)));
    const hintsBefore = (await stored()).reduce((x, y) => x + y, 0);
    await tabs[0]!.evaluate((k) => window.dynamo!.put(k, 'hinted', undefined, { w: 2 }), hinted);
    expect((await stored()).reduce((x, y) => x + y, 0)).toBeGreaterThan(hintsBefore);

    // 4. The relay comes back (same port and secret: the pages' credentials still hold): one ring again.
    turn = await startTurn({ ips: [a.ns.hostIp, b.ns.hostIp], secret: SECRET, port });
    for (const t of tabs) await until(async () => JSON.stringify(await upIds(t)) === JSON.stringify(ids), 60_000, 'ring of 4 up again');
    await until(
      async () => JSON.stringify(await tabs[3]!.evaluate(() => window.dynamo!.get('cross', { r: 3 }).then((r) => r.values))) === '["during split"]',
      30_000,
      'the write made during the split to reach the other side',
    );
    expect(await tabs[3]!.evaluate((k) => window.dynamo!.get(k, { r: 3 }).then((r) => r.values), hinted)).toEqual(['hinted']);
  } finally {
    for (const s of sides) await s.browser.close().catch(() => {});
    await turn?.stop();
    for (const s of servers) await s.close();
    for (const s of sides) {
      s.removeWrapper();
      s.ns.remove();
    }
  }
});
