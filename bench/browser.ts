// Benchmarks in real Chromium tabs: tab connect time, data-channel round trip, IndexedDB puts,
// and the store's put/get latency in a 5-tab ring, each next to its physical floor.

import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { startSignalingServer, type SignalingServer } from '../signaling/server';
import { chromiumArgs, chromiumPath } from '../test/support/chromium';
import { single, summarize, withFloor, type Row } from './stats';

export interface BrowserBench {
  rows: Row[];
  chromium: string;
}

interface Env {
  browser: Browser;
  context: BrowserContext;
  base: string;
}

export async function benchBrowser(quick: boolean): Promise<BrowserBench> {
  const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const vite = await devServer(signaling);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const context = await browser.newContext();
  // tsx compiles this file with esbuild's keepNames, which wraps named functions in __name();
  // functions shipped to the page by evaluate() need that helper there too.
  await context.addInitScript('window.__name = (f) => f');
  const env: Env = { browser, context, base: vite.resolvedUrls?.local[0] ?? '' };
  try {
    const rows: Row[] = [];
    const rtt = await dataChannelRtt(env, quick ? 300 : 2000);
    const idb = await idbPuts(env, quick ? 300 : 2000, quick ? 2000 : 10_000);
    rows.push(rtt, ...idb);
    const idbDefault = idb[0] as Row;
    rows.push(...(await quorumLatency(env, quick ? 300 : 2000, rtt.p50 + idbDefault.p50)));
    rows.push(await connectTime(env, quick ? 5 : 20));
    rows.push(...(await joinAndReplicate(env, quick ? [1000] : [1000, 10_000])));
    rows.push(await closedTabDown(env, quick ? 3 : 10));
    return { rows, chromium: browser.version() };
  } finally {
    await browser.close();
    await vite.close();
    await signaling.close();
  }
}

async function devServer(signaling: SignalingServer): Promise<ViteDevServer> {
  const server = await createServer({
    logLevel: 'warn',
    // No HMR: an edit to the tree mid-run must not reload the pages being measured.
    server: { host: '127.0.0.1', port: 0, hmr: false, proxy: { '^/signal(\\?.*)?$': { target: signaling.url.replace('http', 'ws'), ws: true } } },
  });
  await server.listen();
  return server;
}

async function tab(env: Env, room: string, query = ''): Promise<Page> {
  const page = await env.context.newPage();
  const log: string[] = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && log.push(`http ${r.status()}: ${r.url()}`));
  await page.goto(`${env.base}?room=${room}${query}`);
  try {
    await page.waitForFunction(() => window.dynamo !== undefined, undefined, { timeout: 30_000 });
  } catch (err) {
    throw new Error(`tab ${room}${query} did not start: ${(err as Error).message}\n${log.join('\n')}`);
  }
  return page;
}

async function meshOf(env: Env, room: string, count: number, query = ''): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) pages.push(await tab(env, room, `&node=${room}-${i}${query}`));
  for (const p of pages) await p.waitForFunction((n) => window.dynamo!.transport.peers().length === n, count - 1, { timeout: 30_000 });
  return pages;
}

/** Floor 1: a small message to another tab and back over the data channel. */
async function dataChannelRtt(env: Env, rounds: number): Promise<Row> {
  const [a, b] = (await meshOf(env, 'bench-rtt', 2)) as [Page, Page];
  await b.evaluate(() => {
    const t = window.dynamo!.transport;
    t.onMessage((from, d) => d.startsWith('bench:') && t.send(from, d));
  });
  const samples = await a.evaluate(async (rounds) => {
    const t = window.dynamo!.transport;
    const to = t.peers()[0]!;
    const out: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const off = t.onMessage((_f, d) => d === `bench:${i}` && (off(), resolve()));
        t.send(to, `bench:${i}`);
      });
      out.push(performance.now() - t0);
    }
    return out;
  }, rounds);
  await Promise.all([a.close(), b.close()]);
  return summarize('floor: data channel round trip, tab ↔ tab (small message)', samples);
}

/** Floor 2: IndexedDB puts through our adapter, one at a time and all at once (group commit). */
async function idbPuts(env: Env, rounds: number, batch: number): Promise<Row[]> {
  const page = await tab(env, 'bench-idb');
  const rows: Row[] = [];
  for (const durability of ['default', 'relaxed', 'strict'] as const) {
    const r = await page.evaluate(
      async ({ rounds, batch, durability }) => {
        const m = await import('/src/adapters/idb/storage.ts' as string);
        const name = `bench-${durability}-${Date.now()}`;
        const s = await m.openIdbStorage(name, { durability });
        const value = { v: 0, pad: 'x'.repeat(100) };
        const single: number[] = [];
        for (let i = 0; i < rounds; i++) {
          const t0 = performance.now();
          await s.put({ key: `k${i}`, partition: i % 256, value });
          single.push(performance.now() - t0);
        }
        const t0 = performance.now();
        await Promise.all(Array.from({ length: batch }, (_, i) => s.put({ key: `b${i}`, partition: i % 256, value })));
        const perSec = batch / ((performance.now() - t0) / 1000);
        await s.close();
        await m.deleteIdbStorage(name);
        return { single, perSec };
      },
      { rounds, batch, durability },
    );
    rows.push(summarize(`floor: IndexedDB put, durability ${durability}`, r.single));
    rows.push(single(`IndexedDB ${batch} concurrent puts (group commit), ${durability}`, r.perSec, 'records/s'));
  }
  await page.close();
  return rows;
}

/** The store: N=3 R=2 W=2 over 5 tabs, one request at a time from one tab. */
async function quorumLatency(env: Env, rounds: number, floorMs: number): Promise<Row[]> {
  const pages = await meshOf(env, 'bench-quorum', 5, '&n=3&r=2&w=2');
  const r = await (pages[0] as Page).evaluate(async (rounds) => {
    const d = window.dynamo!;
    const put: number[] = [];
    const get: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await d.put(`bench-${i}`, { i, pad: 'x'.repeat(100) });
      put.push(performance.now() - t0);
    }
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await d.get(`bench-${i}`);
      get.push(performance.now() - t0);
    }
    return { put, get };
  }, rounds);
  await Promise.all(pages.map((p) => p.close()));
  const floor = 'floor (RTT + IDB put)';
  return [
    withFloor(summarize('put, 5 tabs, N=3 W=2, concurrency 1', r.put), floorMs, floor),
    withFloor(summarize('get, 5 tabs, N=3 R=2, concurrency 1', r.get), floorMs, floor),
  ];
}

/** From opening a tab (navigation start) to its first data channel being up. */
async function connectTime(env: Env, joins: number): Promise<Row> {
  const base = await tab(env, 'bench-join', '&node=bench-join-base');
  const samples: number[] = [];
  for (let i = 0; i < joins; i++) {
    const page = await env.context.newPage();
    await page.goto(`${env.base}?room=bench-join&node=bench-join-${i}`);
    samples.push(
      await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const ready = () => {
              const t = window.dynamo!.transport;
              if (t.peers().length > 0) return resolve(performance.now());
              t.onPeerUp(() => resolve(performance.now()));
            };
            if (window.dynamo) ready();
            else {
              const iv = setInterval(() => window.dynamo && (clearInterval(iv), ready()), 1);
            }
          }),
      ),
    );
    await page.close();
  }
  await base.close();
  return summarize('tab opened → first data channel up (dev server)', samples);
}

/**
 * A sixth tab joins a five-tab ring holding `keys` keys: time until every tab lists it, and until
 * every tab agrees on the ring and has moved all it must (the newcomer then holds its partitions).
 */
async function joinAndReplicate(env: Env, sizes: number[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const keys of sizes) {
    const room = `bench-replicate-${keys}`;
    const pages = await meshOf(env, room, 5);
    await (pages[0] as Page).evaluate(async (keys) => {
      const d = window.dynamo!;
      const pad = 'x'.repeat(100);
      const inflight = new Set<Promise<unknown>>();
      for (let i = 0; i < keys; i++) {
        const p = d.put(`r-${i}`, { i, pad }).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= 32) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }, keys);
    const t0 = Date.now();
    const newcomer = await tab(env, room, `&node=${room}-new`);
    const all = [...pages, newcomer];
    const listed = await pollUntil(async () => {
      const seen = await Promise.all(pages.map((p) => p.evaluate((id) => window.dynamo!.members().some((m) => m.id === id), `${room}-new`)));
      return seen.every(Boolean);
    });
    const listedMs = Date.now() - t0;
    const settled = await pollUntil(async () => {
      const s = await Promise.all(all.map((p) => p.evaluate(() => ({ d: window.dynamo!.membership().digest, p: window.dynamo!.stats().transfer.partitionsPending }))));
      return new Set(s.map((x) => x.d)).size === 1 && s.every((x) => x.p === 0);
    }, 300_000);
    const settledMs = Date.now() - t0;
    const moved = (await Promise.all(pages.map((p) => p.evaluate(() => window.dynamo!.stats().transfer.moved)))).reduce((a, b) => a + b, 0);
    if (keys === sizes[0]) rows.push(single('membership: tab opened → listed as a member by all 5 others', listed ? listedMs : NaN, 'ms'));
    rows.push(single(`membership: ${keys} keys, tab opened → its partitions transferred`, settled ? settledMs : NaN, 'ms', `${moved} keys moved`));
    await Promise.all(all.map((p) => p.close()));
  }
  return rows;
}

/** A tab closes: time until the others report it down (its goodbye frame, or the heartbeat). */
async function closedTabDown(env: Env, rounds: number): Promise<Row> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const [a, b] = (await meshOf(env, `bench-down-${i}`, 2)) as [Page, Page];
    // Listen first, in a finished evaluate, so the close cannot overtake the listener.
    await a.evaluate((id) => {
      (window as unknown as { downAt: Promise<number> }).downAt = new Promise<number>((resolve) => {
        const off = window.dynamo!.transport.onPeerDown((p) => p === id && (off(), resolve(performance.now())));
      });
    }, `bench-down-${i}-1`);
    const closedAt = await a.evaluate(() => performance.now());
    await b.close();
    const down = a.evaluate((closedAt) => (window as unknown as { downAt: Promise<number> }).downAt.then((at) => at - closedAt), closedAt);
    samples.push(await down);
    await a.close();
  }
  return summarize('membership: closed tab → reported down by a peer', samples);
}

async function pollUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
