// Shared Playwright helpers: open node tabs in a room and read their state through window.dynamo.

import { expect, type BrowserContext, type Page } from '@playwright/test';

let rooms = 0;
export function freshRoom(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${++rooms}`;
}

/** `hash` is the fragment, e.g. `#secret=...` (never sent to the server). */
export async function openTab(context: BrowserContext, room: string, query = '', hash = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.goto(`/?room=${room}${query}${hash}`);
  await page.waitForFunction(() => window.dynamo !== undefined);
  return page;
}

export function nodeId(page: Page): Promise<string> {
  return page.evaluate(() => window.dynamo!.id);
}

export async function expectPeers(page: Page, count: number, timeout = 10_000): Promise<void> {
  await expect(page.locator('#status')).toHaveAttribute('data-peers', String(count), { timeout });
}

/** Resolves once `page` reports member `id` with `status`; returns how long that took in ms. */
export async function waitForStatus(page: Page, id: string, status: string, timeout = 10_000): Promise<number> {
  return page.evaluate(
    ({ id, status, timeout }) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        const node = window.dynamo!;
        const check = () => node.members().some((m) => m.id === id && m.status === status);
        if (check()) return resolve(0);
        const timer = setTimeout(() => reject(new Error(`${id} not ${status} after ${timeout} ms`)), timeout);
        const off = node.on('members', () => {
          if (!check()) return;
          clearTimeout(timer);
          off();
          resolve(performance.now() - t0);
        });
      }),
    { id, status, timeout },
  );
}
