// The quorum path in real tabs: N=3 R=2 W=2 over WebRTC and IndexedDB; hinted handoff across an isolation.

import { expect, test, type Page } from '@playwright/test';
import { expectPeers, freshRoom, nodeId, openTab } from './helpers';

async function fiveTabs(context: import('@playwright/test').BrowserContext) {
  const room = freshRoom('quorum');
  const tabs: Page[] = [];
  for (let i = 0; i < 5; i++) tabs.push(await openTab(context, room, `&node=q${i}`));
  for (const t of tabs) await expectPeers(t, 4);
  return tabs;
}

test('a put on one tab is read from every other', async ({ context }) => {
  const tabs = await fiveTabs(context);
  const res = await tabs[0]!.evaluate(() => window.dynamo!.put('greeting', { hello: 'world' }));
  expect(res.replicas).toBeGreaterThanOrEqual(2);
  for (const t of tabs) {
    const read = await t.evaluate(() => window.dynamo!.get('greeting'));
    expect(read.values).toEqual([{ hello: 'world' }]);
  }
});

test('writes made while a tab is isolated reach it as hints after heal', async ({ context }) => {
  const tabs = await fiveTabs(context);
  const ids = await Promise.all(tabs.map(nodeId));
  const [cut, writer] = [tabs[4]!, tabs[0]!];
  const cutId = ids[4]!;
  await cut.evaluate((others) => window.dynamo!.faults.isolate(others), ids.slice(0, 4));
  for (const t of tabs.slice(0, 4)) await t.evaluate((id) => window.dynamo!.faults.isolate([id]), cutId);

  // Keys whose primaries include the isolated tab: their third copy must go to a fallback as a hint.
  const keys = await writer.evaluate(async (cutId) => {
    const d = window.dynamo!;
    const mine: string[] = [];
    for (let i = 0; mine.length < 20; i++) {
      const k = `hinted-${i}`;
      if (d.preferenceList(k).slice(0, 3).includes(cutId)) mine.push(k);
    }
    for (const k of mine) await d.put(k, k);
    return mine;
  }, cutId);
  const pending = await Promise.all(tabs.slice(0, 4).map((t) => t.evaluate(() => window.dynamo!.stats().hints.pending)));
  expect(pending.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);

  for (const t of tabs) await t.evaluate(() => window.dynamo!.faults.heal());
  await expect
    .poll(async () => (await Promise.all(tabs.map((t) => t.evaluate(() => window.dynamo!.stats().hints.pending)))).reduce((a, b) => a + b, 0), {
      timeout: 10_000,
    })
    .toBe(0);

  // Cut it off again: now it alone must serve every one of those keys from its own IndexedDB.
  await cut.evaluate((others) => window.dynamo!.faults.isolate(others), ids.slice(0, 4));
  const alone = await cut.evaluate(async (keys) => {
    const out: unknown[] = [];
    for (const k of keys) out.push((await window.dynamo!.get(k, { r: 1 })).values);
    return out;
  }, keys);
  expect(alone).toEqual(keys.map((k) => [k]));
});
