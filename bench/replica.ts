// Benchmarks of the always-on Node replica (issue 19), `npm run bench -- --only=replica`: put/get
// latency a tab sees with a Node replica as its other replica, next to a tab as its other replica in
// the same run; keys/s a replica ingests when it joins a ring of tabs holding keys; how long a replica
// holding 100k keys takes from process start to its "serving" line; disk bytes per key.
//
// Every replica here is the real `dynamo-node` process (bin/dynamo-node.mjs) on a temp directory,
// except the one that seeds the 100k keys, which is the same startNode in this process (seeding is
// a store-only bulk load: no messages).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { ViteDevServer } from 'vite';
import { startSignalingServer, type SignalingServer } from '../signaling/server';
import { startNode } from '../src/runtime/node-entry';
import { chromiumArgs, chromiumPath } from '../test/support/chromium';
import { devServer } from './browser';
import { failed, single, summarize, withFloor, type Row } from './stats';

const VALUE_PAD = 100;
const BASELINE = 'tab + tab';

interface Ctx {
  context: BrowserContext;
  base: string;
  signal: string;
  dirs: string[];
  replicas: ChildProcessWithoutNullStreams[];
}

export async function benchReplica(quick: boolean): Promise<Row[]> {
  let signaling: SignalingServer | undefined;
  let vite: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const rows: Row[] = [];
  const ctx: Ctx = { context: undefined as never, base: '', signal: '', dirs: [], replicas: [] };
  try {
    signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    ctx.signal = `${signaling.url.replace(/^http/, 'ws')}/signal`;
    vite = await devServer(signaling);
    ctx.base = vite.resolvedUrls?.local[0] ?? '';
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    ctx.context = await browser.newContext();
    await ctx.context.addInitScript('window.__name = (f) => f');
    await part(rows, ctx, 'latency', () => latency(ctx, quick ? 300 : 1000));
    await part(rows, ctx, 'ingest', () => ingest(ctx, quick ? 2000 : 10_000));
    await part(rows, ctx, 'restart', () => restartAndDisk(ctx, quick ? 20_000 : 100_000, quick ? 1 : 3));
    return rows;
  } finally {
    for (const r of ctx.replicas) if (r.exitCode === null && r.signalCode === null) r.kill('SIGKILL');
    // Bounded: a close that hangs (a tab stuck starting, a socket left open) must not hold the results.
    await bounded(browser?.close(), 'chromium');
    await bounded(vite?.close(), 'vite');
    await bounded(signaling?.close(), 'signaling');
    for (const d of ctx.dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function bounded(p: Promise<unknown> | undefined, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p?.catch(() => undefined), new Promise((r) => (timer = setTimeout(() => r(console.error(`bench: replica: closing ${what} timed out`)), 10_000)))]);
  clearTimeout(timer);
}

async function part(rows: Row[], ctx: Ctx, name: string, fn: () => Promise<Row[]>): Promise<void> {
  const t0 = Date.now();
  try {
    const got = await fn();
    rows.push(...got);
    console.error(`bench: replica ${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    for (const r of got) console.error(`  ${r.name}: p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
  } catch (err) {
    console.error(`bench: replica ${name}: FAILED: ${(err as Error).stack ?? String(err)}`);
    rows.push(failed(`replica: ${name}`, '', (err as Error).message));
  }
  await bounded(Promise.all(ctx.context.pages().map((p) => p.close().catch(() => undefined))), 'tabs');
  for (const r of ctx.replicas) await stopReplica(r);
}

function tempDir(ctx: Ctx): string {
  const d = mkdtempSync(join(tmpdir(), 'bench-replica-'));
  ctx.dirs.push(d);
  return d;
}

/** Spawns dynamo-node; resolves with its id and the ms from spawn to its "serving" line. */
function spawnReplica(ctx: Ctx, room: string, dir: string, zone = 'server'): Promise<{ child: ChildProcessWithoutNullStreams; id: string; startMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/dynamo-node.mjs', '--room', room, '--signal', ctx.signal, '--data', dir, '--zone', zone], { stdio: 'pipe' });
  ctx.replicas.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^dynamo-node (\S+) serving/.exec(out);
      if (m) resolve({ child, id: m[1]!, startMs: performance.now() - t0 });
    });
    child.once('exit', (code) => reject(new Error(`dynamo-node exited ${code}: ${err}`)));
  });
}

/** SIGTERM, then SIGKILL if it has not exited within 15 s; at once if it is gone already. */
function stopReplica(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return done.finally(() => clearTimeout(timer));
}

async function tab(ctx: Ctx, room: string, query = ''): Promise<Page> {
  const page = await ctx.context.newPage();
  await page.goto(`${ctx.base}?room=${room}${query}`, { timeout: 90_000 });
  await page.waitForFunction(() => window.dynamo !== undefined, undefined, { timeout: 90_000 });
  return page;
}

/** Waits until `page` lists every id in `ids` as up. */
async function upIn(page: Page, ids: string[]): Promise<void> {
  await page.waitForFunction((want) => want.every((id) => window.dynamo!.members().some((m) => m.id === id && m.status === 'up')), ids, { timeout: 90_000, polling: 50 });
}

/** Put then get latencies from `page`, one request at a time. */
function measure(page: Page, rounds: number): Promise<{ put: number[]; get: number[] }> {
  return page.evaluate(
    async ({ rounds, pad }) => {
      const d = window.dynamo!;
      const put: number[] = [];
      const get: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        await d.put(`lat-${i}`, { i, pad: 'x'.repeat(pad) });
        put.push(performance.now() - t0);
      }
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        await d.get(`lat-${i}`);
        get.push(performance.now() - t0);
      }
      return { put, get };
    },
    { rounds, pad: VALUE_PAD },
  );
}

/**
 * Two-member rings, N=3 W=2 R=2: both members hold every key and every request waits for both, so
 * the other member's answer is on every request's path. One ring's other member is a tab, the
 * other's a Node replica (WebRTC over @roamhq/wrtc, LevelDB with synced batches).
 */
async function latency(ctx: Ctx, rounds: number): Promise<Row[]> {
  const stamp = Date.now().toString(36);
  const a = await tab(ctx, `bench-tt-${stamp}`, '&node=tt-a');
  const b = await tab(ctx, `bench-tt-${stamp}`, '&node=tt-b');
  await upIn(a, ['tt-b']);
  await upIn(b, ['tt-a']);
  const tabs = await measure(a, rounds);
  const room = `bench-tr-${stamp}`;
  const replica = await spawnReplica(ctx, room, tempDir(ctx));
  const c = await tab(ctx, room, '&node=tr-c');
  await upIn(c, [replica.id]);
  const withReplica = await measure(c, rounds);
  const putBase = summarize(`replica: put from a tab, other member a tab (${BASELINE}), N=3 W=2`, tabs.put);
  const getBase = summarize(`replica: get from a tab, other member a tab (${BASELINE}), N=3 R=2`, tabs.get);
  return [
    putBase,
    withFloor(summarize('replica: put from a tab, other member a Node replica, N=3 W=2', withReplica.put), putBase, BASELINE),
    getBase,
    withFloor(summarize('replica: get from a tab, other member a Node replica, N=3 R=2', withReplica.get), getBase, BASELINE),
  ];
}

/**
 * Three tabs of one zone hold `keys` keys (seeded on their primaries, no messages); a replica of
 * another zone joins and, placement spreading every key over both zones, becomes a replica of every
 * partition: one tab per partition evacuates it to the replica. Timed from the replica's "serving"
 * line until every tab has nothing left to move.
 */
async function ingest(ctx: Ctx, keys: number): Promise<Row[]> {
  const room = `bench-ingest-${Date.now().toString(36)}`;
  const tabs = [await tab(ctx, room, '&zone=z&node=in-0'), await tab(ctx, room, '&zone=z&node=in-1'), await tab(ctx, room, '&zone=z&node=in-2')];
  for (const t of tabs) await upIn(t, ['in-0', 'in-1', 'in-2']);
  for (const t of tabs) {
    await t.evaluate(async (keys) => {
      for (let start = 0; start < keys; start += 5000) {
        const entries = [];
        for (let i = start; i < Math.min(keys, start + 5000); i++) entries.push({ key: `in-${i}`, value: { i, pad: 'x'.repeat(100) } });
        await window.dynamo!.seed(entries);
      }
    }, keys);
  }
  const replica = await spawnReplica(ctx, room, tempDir(ctx));
  const t0 = performance.now();
  const deadline = Date.now() + 300_000;
  let moved = 0;
  for (;;) {
    const s = await Promise.all(
      tabs.map((t) =>
        t.evaluate((id) => {
          const d = window.dynamo!;
          const st = d.stats().transfer;
          return { seen: d.members().some((m) => m.id === id && m.status === 'up'), pending: st.partitionsPending, moved: st.moved };
        }, replica.id),
      ),
    );
    moved = s.reduce((n, x) => n + x.moved, 0);
    if (s.every((x) => x.seen && x.pending === 0) && moved >= keys) break;
    if (Date.now() > deadline) throw new Error(`ingest not done after 300 s: ${moved} of ${keys} keys moved`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - t0) / 1000;
  return [single(`replica: keys ingested on join (3 tabs of one zone holding ${keys.toLocaleString('en-US')} keys)`, moved / seconds, 'keys/s', `${moved} keys moved to the replica in ${seconds.toFixed(1)} s from its "serving" line`)];
}

/**
 * A replica's directory holding `keys` keys (seeded in this process by the same startNode, alone in
 * its room, so it holds every key), then `dynamo-node` started on it `runs` times: ms from spawn to
 * its "serving" line, next to the same on an empty directory; and the directory's bytes per key.
 */
async function restartAndDisk(ctx: Ctx, keys: number, runs: number): Promise<Row[]> {
  const room = `bench-restart-${Date.now().toString(36)}`;
  const dir = tempDir(ctx);
  const node = await startNode({ room, signalingUrl: ctx.signal, dataDir: dir });
  let stored = 0;
  for (let start = 0; start < keys; start += 5000) {
    const entries = [];
    for (let i = start; i < Math.min(keys, start + 5000); i++) entries.push({ key: `rs-${i}`, value: { i, pad: noise(i, VALUE_PAD) } });
    stored += await node.seed(entries);
  }
  await node.stop();
  const bytes = duBytes(dir);
  const empty: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < runs; i++) {
    const e = await spawnReplica(ctx, `bench-empty-${Date.now().toString(36)}-${i}`, tempDir(ctx));
    empty.push(e.startMs);
    await stopReplica(e.child);
    const f = await spawnReplica(ctx, room, dir);
    full.push(f.startMs);
    await stopReplica(f.child);
  }
  const base = summarize('replica: process start → "serving", empty directory', empty);
  const valueChars = JSON.stringify({ i: keys - 1, pad: noise(0, VALUE_PAD) }).length;
  return [
    base,
    withFloor(summarize(`replica: process start → "serving", ${stored.toLocaleString('en-US')} keys on disk`, full), base, 'empty directory'),
    single(`replica: disk bytes per key (${stored.toLocaleString('en-US')} keys, LevelDB)`, bytes / stored, 'B/key', `${(bytes / 2 ** 20).toFixed(1)} MiB in the data directory; each value ${valueChars} chars of JSON (${VALUE_PAD} of them random letters, which LevelDB's compression cannot shrink), key ~8 chars, plus its version vector`),
  ];
}

/** `len` letters from a tiny LCG seeded by `i`: data that does not compress, as real values mostly do not. */
function noise(i: number, len: number): string {
  let x = (i * 2654435761 + 12345) >>> 0;
  let s = '';
  for (let k = 0; k < len; k++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    s += String.fromCharCode(97 + (x >>> 24) % 26);
  }
  return s;
}

function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? duBytes(p) : statSync(p).size;
  }
  return total;
}
