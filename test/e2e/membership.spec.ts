// Membership in real tabs: a sixth tab joins a five-tab ring and receives its partitions' keys;
// a tab leaves and every key stays readable (paper §4.8–4.9).

import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { expectPeers, freshRoom, nodeId, openTab } from './helpers';

const KEYS = 150;

async function ring(context: BrowserContext, room: string, count: number): Promise<Page[]> {
  const tabs: Page[] = [];
  for (let i = 0; i < count; i++) tabs.push(await openTab(context, room, `&node=m${i}`));
  for (const t of tabs) await expectPeers(t, count - 1);
  return tabs;
}

async function writeKeys(tab: Page): Promise<void> {
  await tab.evaluate(async (count) => {
    const d = window.dynamo!;
    for (let i = 0; i < count; i++) await d.put(`item-${i}`, { i });
  }, KEYS);
}

/** Every tab has the same membership history and nothing left to move. */
async function settled(tabs: Page[]): Promise<boolean> {
  const states = await Promise.all(
    tabs.map((t) => t.evaluate(() => ({ digest: window.dynamo!.membership().digest, pending: window.dynamo!.stats().transfer.partitionsPending }))),
  );
  return new Set(states.map((s) => s.digest)).size === 1 && states.every((s) => s.pending === 0);
}

test('a sixth tab joins: every tab lists it within 2 s, and it receives its partitions', async ({ context }) => {
  const room = freshRoom('join');
  const tabs = await ring(context, room, 5);
  await writeKeys(tabs[0]!);

  const opened = Date.now();
  const sixth = await openTab(context, room, '&node=m5');
  for (const t of tabs) {
    await expect.poll(() => t.evaluate(() => window.dynamo!.members().some((m) => m.id === 'm5' && m.tokens.length > 0)), { timeout: 2_000 }).toBe(true);
  }
  console.log(`sixth tab listed as a member by all five ${Date.now() - opened} ms after it was opened`);
  const all = [...tabs, sixth];
  await expect.poll(() => settled(all), { timeout: 20_000 }).toBe(true);
  console.log(`its partitions transferred ${Date.now() - opened} ms after it was opened`);

  // Cut off from everyone, the new tab must serve every key it now replicates from its own store.
  const ids = await Promise.all(tabs.map(nodeId));
  await sixth.evaluate((others) => window.dynamo!.faults.isolate(others), ids);
  const result = await sixth.evaluate(async (count) => {
    const d = window.dynamo!;
    const mine = Array.from({ length: count }, (_, i) => `item-${i}`).filter((k) => d.preferenceList(k).slice(0, 3).includes('m5'));
    const missing: string[] = [];
    for (const k of mine) if ((await d.get(k, { r: 1 })).values.length !== 1) missing.push(k);
    return { mine: mine.length, missing };
  }, KEYS);
  expect(result.mine).toBeGreaterThan(KEYS / 6 - 20);
  expect(result.missing).toEqual([]);
});

test('a tab leaves: it hands its keys over, the others drop it, and every key stays readable', async ({ context }) => {
  const room = freshRoom('leave');
  const tabs = await ring(context, room, 5);
  await writeKeys(tabs[0]!);
  const leaver = tabs[2]!;
  const result = await leaver.evaluate(() => window.dynamo!.leave());
  expect(result.complete).toBe(true);
  expect(result.moved).toBeGreaterThan(0);
  const rest = tabs.filter((t) => t !== leaver);
  for (const t of rest) await expect.poll(() => t.evaluate(() => window.dynamo!.members().map((m) => m.id).includes('m2'))).toBe(false);
  await expect.poll(() => settled(rest), { timeout: 20_000 }).toBe(true);
  await leaver.close();
  // With the leaver gone for good, R=3 reads from every remaining replica still find every key.
  const missing = await rest[0]!.evaluate(async (count) => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const got = await window.dynamo!.get(`item-${i}`, { r: 3 });
      if (got.values.length !== 1) out.push(`item-${i}`);
    }
    return out;
  }, KEYS);
  expect(missing).toEqual([]);
});
