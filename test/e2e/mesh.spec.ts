// Tabs find each other through the signaling server and form a WebRTC mesh (issue 2).

import { expect, test } from '@playwright/test';
import { expectPeers, freshRoom, nodeId, openTab, waitForStatus } from './helpers';

test('four tabs in one room connect pairwise and say so on the page', async ({ context }) => {
  const room = freshRoom('mesh');
  const tabs = [];
  for (let i = 0; i < 4; i++) tabs.push(await openTab(context, room));
  for (const tab of tabs) await expectPeers(tab, 3);
  const ids = await Promise.all(tabs.map(nodeId));
  expect(new Set(ids).size).toBe(4);
  for (const tab of tabs) {
    await expect(tab.locator('#status')).toContainText('connected to 3 peers');
    const peers = await tab.evaluate(() => window.dynamo!.transport.peers().sort());
    const self = await nodeId(tab);
    expect(peers).toEqual(ids.filter((id) => id !== self).sort());
  }
});

test('a 200 KiB message crosses the data channel intact', async ({ context }) => {
  const room = freshRoom('big');
  const a = await openTab(context, room);
  const b = await openTab(context, room);
  await expectPeers(a, 1);
  await expectPeers(b, 1);
  const [idA, idB] = [await nodeId(a), await nodeId(b)];
  const received = b.evaluate(
    (from) =>
      new Promise<{ length: number; ok: boolean }>((resolve) => {
        const off = window.dynamo!.transport.onMessage((f, data) => {
          if (f !== from || !data.startsWith('big:')) return;
          off();
          const body = data.slice(4);
          let ok = body.length === 200 * 1024;
          for (let i = 0; ok && i < body.length; i++) ok = body.charCodeAt(i) === 97 + (i % 26);
          resolve({ length: body.length, ok });
        });
      }),
    idA,
  );
  const sent = await a.evaluate((to) => {
    let body = '';
    for (let i = 0; i < 200 * 1024; i++) body += String.fromCharCode(97 + (i % 26));
    return window.dynamo!.transport.send(to, 'big:' + body);
  }, idB);
  expect(sent).toBe(true);
  expect(await received).toEqual({ length: 200 * 1024, ok: true });
});

test('a closed tab is reported down within 5 s and reconnects when reopened', async ({ context }) => {
  const room = freshRoom('close');
  const a = await openTab(context, room);
  const b = await openTab(context, room);
  const c = await openTab(context, room, '&node=tab-c');
  for (const t of [a, b, c]) await expectPeers(t, 2);

  const downAtA = waitForStatus(a, 'tab-c', 'down', 5_000);
  const downAtB = waitForStatus(b, 'tab-c', 'down', 5_000);
  await c.close();
  const [msA, msB] = await Promise.all([downAtA, downAtB]);
  console.log(`closed tab reported down after ${Math.round(msA)} ms / ${Math.round(msB)} ms`);
  expect(Math.max(msA, msB)).toBeLessThan(5_000);

  const upAgain = waitForStatus(a, 'tab-c', 'up', 10_000);
  const c2 = await openTab(context, room, '&node=tab-c');
  await upAgain;
  await expectPeers(c2, 2);
  expect(await nodeId(c2)).toBe('tab-c');
});

test('a crashed tab, which says no goodbye, is reported down within 5 s', async ({ context }) => {
  const room = freshRoom('crash');
  const a = await openTab(context, room);
  const c = await openTab(context, room, '&node=tab-crash');
  await expectPeers(a, 1);
  await expectPeers(c, 1);
  const down = waitForStatus(a, 'tab-crash', 'down', 5_000);
  const crashed = new Promise((resolve) => c.once('crash', resolve));
  void c.goto('chrome://crash').catch(() => {}); // kills the renderer: no pagehide, no goodbye frame
  await crashed;
  const ms = await down;
  console.log(`crashed tab reported down after ${Math.round(ms)} ms`);
  expect(ms).toBeLessThan(5_000);
});

test('a tab that goes hidden tells its peers, stays up for them, and says when it is visible again', async ({ context }) => {
  const room = freshRoom('hidden');
  const a = await openTab(context, room);
  const h = await openTab(context, room, '&node=tab-hidden');
  await expectPeers(a, 1);
  await expectPeers(h, 1);
  // What the browser does when the tab goes to the background: the page's own listener reports it.
  const visibility = (state: 'hidden' | 'visible') =>
    h.evaluate((s) => {
      Object.defineProperty(document, 'visibilityState', { value: s, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
  await visibility('hidden');
  await expect.poll(() => a.evaluate(() => window.dynamo!.hiddenPeers())).toEqual(['tab-hidden']);
  // Several exchanges later (heartbeats, gossip) it is still up.
  const heard = () => a.evaluate(() => window.dynamo!.stats().messages.received);
  const before = await heard();
  await expect.poll(heard).toBeGreaterThan(before + 4);
  expect(await a.evaluate(() => window.dynamo!.members().find((m) => m.id === 'tab-hidden')?.status)).toBe('up');
  await visibility('visible');
  await expect.poll(() => a.evaluate(() => window.dynamo!.hiddenPeers())).toEqual([]);
});

test('tabs in two separate browser contexts connect', async ({ browser }) => {
  const room = freshRoom('contexts');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  try {
    const a = await openTab(ctxA, room);
    const b = await openTab(ctxB, room);
    await expectPeers(a, 1);
    await expectPeers(b, 1);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
});

test('a duplicated tab (same kept id) steps aside to a fresh id', async ({ context }) => {
  const room = freshRoom('dup');
  const a = await openTab(context, room);
  const idA = await nodeId(a);
  // A duplicated tab starts with a copy of the original's sessionStorage, hence the same id.
  const dup = await context.newPage();
  await dup.addInitScript(([key, id]) => sessionStorage.setItem(key, id), [`dynamo:${room}:node`, idA] as const);
  await dup.goto(`/?room=${room}`);
  await dup.waitForFunction(() => window.dynamo !== undefined);
  const idDup = await nodeId(dup);
  expect(idDup).not.toBe(idA);
  await expectPeers(a, 1);
  await expectPeers(dup, 1);
});
