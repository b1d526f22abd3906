// Always-on Node replicas and zones in real tabs (issue 19): three tabs of one zone and a dynamo-node
// (a real process on a temp directory) hold every key between them, the room survives every tab
// closing and the replica restarting; a ring of two zones survives one whole zone closing; a closing
// tab hands its hints to a live node (pagehide, core/farewell.ts).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { freshRoom, nodeId, openTab } from './helpers';

const KEYS = 40;

test.use({ viewport: { width: 1280, height: 800 } });

/** To test-results, and to docs/ with SCREENSHOTS=1 (the README shows docs/replica.png). */
async function shoot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await info.attach(name, { path, contentType: 'image/png' });
  if (process.env.SCREENSHOTS === '1') await page.screenshot({ path: `docs/${name}.png` });
}

interface Replica {
  child: ChildProcessWithoutNullStreams;
  id: Promise<string>;
  exited: Promise<number | null>;
}

function startReplica(room: string, dir: string, signal: string): Replica {
  const child = spawn(process.execPath, ['bin/dynamo-node.mjs', '--room', room, '--signal', signal, '--data', dir, '--zone', 'server'], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const id = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^dynamo-node (\S+) serving/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`dynamo-node exited ${code}: ${err}`)));
  });
  return { child, id, exited };
}

async function waitUp(tab: Page, ids: string[], timeout = 15_000): Promise<void> {
  await expect
    .poll(() => tab.evaluate((want) => want.every((id) => window.dynamo!.members().some((m) => m.id === id && m.status === 'up')), ids), { timeout })
    .toBe(true);
}

async function writeKeys(tab: Page, prefix: string): Promise<void> {
  await tab.evaluate(
    async ({ count, prefix }) => {
      for (let i = 0; i < count; i++) await window.dynamo!.put(`${prefix}${i}`, { i });
    },
    { count: KEYS, prefix },
  );
}

/** Keys of `prefix` that do not read back as written. */
function unreadable(tab: Page, prefix: string): Promise<string[]> {
  return tab.evaluate(
    async ({ count, prefix }) => {
      const bad: string[] = [];
      for (let i = 0; i < count; i++) {
        const got = await window.dynamo!.get(`${prefix}${i}`).catch((e: Error) => ({ values: [e.name] }));
        if (got.values.length !== 1 || (got.values[0] as { i?: number }).i !== i) bad.push(`${prefix}${i}: ${JSON.stringify(got.values)}`);
      }
      return bad;
    },
    { count: KEYS, prefix },
  );
}

let dirs: string[] = [];
test.afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

test('three tabs of one zone and a Node replica: every key has a copy on the replica, and the room survives every tab closing and the replica restarting', async ({ context, baseURL }, info) => {
  const room = freshRoom('replica');
  const signal = `${baseURL!.replace(/^http/, 'ws')}/signal`;
  const dir = mkdtempSync(join(tmpdir(), 'e2e-replica-'));
  dirs.push(dir);
  const t0 = Date.now();
  const lap = (what: string) => console.log(`${what}: ${Date.now() - t0} ms`);
  const tabs: Page[] = [];
  for (let i = 0; i < 2; i++) tabs.push(await openTab(context, room, '&zone=z1'));
  // The third is the full ring console (its picture is in the README).
  const consolePage = await context.newPage();
  await consolePage.goto(`/ring.html?room=${room}&zone=z1`);
  await consolePage.waitForFunction(() => window.dynamo !== undefined);
  tabs.push(consolePage);
  const tabIds = await Promise.all(tabs.map(nodeId));
  await waitUp(tabs[0]!, tabIds);
  // One zone holds every replica: the console says so.
  await expect(tabs[0]!.locator('#zone-warning')).toBeVisible();
  await expect(tabs[0]!.locator('#zone-warning')).toContainText('All 256 partitions keep every replica in one zone (256 in zone z1)');

  let replica = startReplica(room, dir, signal);
  try {
    const id = await replica.id;
    for (const t of tabs) await waitUp(t, [id]);
    await expect(tabs[0]!.locator(`li[data-member="${id}"][data-kind="replica"]`)).toBeVisible();
    await expect(tabs[0]!.locator('#zone-warning')).toBeHidden();
    await expect(consolePage.locator(`#members li[data-member="${id}"] .pill.replica`)).toBeVisible();
    await expect(consolePage.locator('#zone-warning')).toBeHidden();
    await shoot(consolePage, info, 'replica');
    lap('replica up');
    await writeKeys(tabs[0]!, 'r');
    lap('written');
    const onReplica = await tabs[1]!.evaluate(
      ({ count, id }) => Array.from({ length: count }, (_, i) => `r${i}`).filter((k) => window.dynamo!.preferenceList(k).slice(0, 3).includes(id)).length,
      { count: KEYS, id },
    );
    expect(onReplica).toBe(KEYS);

    for (const t of tabs) await t.close();
    lap('closed');
    replica.child.kill('SIGTERM');
    expect(await replica.exited).toBe(0);
    lap('stopped');
    replica = startReplica(room, dir, signal);
    expect(await replica.id).toBe(id);
    lap('restarted');

    const fresh = await openTab(context, room, '&zone=z2');
    await waitUp(fresh, [id]);
    lap('fresh tab up');
    expect(await unreadable(fresh, 'r')).toEqual([]);
    lap('read');
  } finally {
    replica.child.kill('SIGTERM');
    await replica.exited;
  }
});

test('a ring of two zones survives closing every tab of one zone: no key lost', async ({ context }) => {
  const room = freshRoom('zones');
  const tabs: Page[] = [];
  for (const zone of ['a', 'a', 'b', 'b']) tabs.push(await openTab(context, room, `&zone=${zone}`));
  const ids = await Promise.all(tabs.map(nodeId));
  for (const t of tabs) await waitUp(t, ids);
  await expect(tabs[2]!.locator('#zone-warning')).toBeHidden();
  await writeKeys(tabs[0]!, 'z');
  await tabs[0]!.close();
  await tabs[1]!.close();
  await waitUp(tabs[2]!, [ids[3]!]);
  expect(await unreadable(tabs[2]!, 'z')).toEqual([]);
  expect(await unreadable(tabs[3]!, 'z')).toEqual([]);
});

test('a closing tab hands the hints it holds to a live node (pagehide)', async ({ context }) => {
  const room = freshRoom('farewell');
  const tabs: Page[] = [];
  for (let i = 0; i < 4; i++) tabs.push(await openTab(context, room));
  const ids = await Promise.all(tabs.map(nodeId));
  for (const t of tabs) await waitUp(t, ids);
  const [closing, , ...others] = tabs as [Page, Page, Page, Page];
  // Cut off from everyone, the closing tab keeps hints for every other replica of what it writes
  // (w 'any'); healed with all but `owner`, it delivers the others' at once and keeps owner's.
  await closing.evaluate(async (peers) => {
    const d = window.dynamo!;
    d.faults.isolate(peers);
    for (let i = 0; i < 20; i++) await d.put(`h${i}`, { i }, undefined, { w: 'any' });
    d.faults.isolate([peers[0]!]);
  }, ids.slice(1));
  const forOwner = await closing.evaluate(
    (o) => Array.from({ length: 20 }, (_, i) => `h${i}`).filter((k) => window.dynamo!.preferenceList(k).slice(0, 3).includes(o)).length,
    ids[1]!,
  );
  expect(forOwner).toBeGreaterThan(0);
  await expect.poll(() => closing.evaluate(() => window.dynamo!.stats().hints.pending), { timeout: 10_000 }).toBe(forOwner);
  const storedBefore = await Promise.all(others.map((t) => t.evaluate(() => window.dynamo!.stats().hints.stored)));
  await closing.close();
  // The owner was never cut off from the others: they hold its hints and deliver them to it.
  await expect
    .poll(async () => (await Promise.all(others.map((t) => t.evaluate(() => window.dynamo!.stats().hints.stored)))).reduce((a, b) => a + b, 0) - storedBefore.reduce((a, b) => a + b, 0), { timeout: 10_000 })
    .toBeGreaterThanOrEqual(forOwner);
});
