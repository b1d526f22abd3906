// Benchmarks in real Chromium tabs: tab connect time, data-channel round trip, IndexedDB puts, the
// store's put/get latency in a 5-tab ring (one request at a time, and 16 outstanding per tab with all
// tabs driving) and its throughput, each next to its physical floor; JS heap per tab with 10k/100k
// keys; membership (join, replicate, closed tab down); anti-entropy repair of 1,000 divergent keys.
//
// Robustness: each section runs with a deadline; a section that fails or times out prints why, its
// rows come out as NaN with the reason in the note, its tabs are closed, and the run goes on.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createServer, type ViteDevServer } from 'vite';
import { startSignalingServer, type SignalingServer } from '../signaling/server';
import { chromiumArgs, chromiumPath } from '../test/support/chromium';
import { failed, single, summarize, withFloor, type Row } from './stats';

export interface BrowserBench {
  rows: Row[];
  chromium: string;
}

interface Env {
  browser: Browser;
  context: BrowserContext;
  base: string;
  /** Set when the running section failed or timed out: its helpers stop opening tabs and polling. */
  cancelled: boolean;
}

/** A row a section promises: [name, unit]. Missing ones are reported as failed. */
type Expect = [string, string];

const FLOOR = 'floor (RTT + IDB put)';
const OUTSTANDING = 16;
const TABS = 5;

/** `only`: run just the sections whose title contains it (the floors always run: rows compare to them). */
export async function benchBrowser(quick: boolean, only?: string): Promise<BrowserBench> {
  const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  let vite: ViteDevServer | undefined;
  let browser: Browser | undefined;
  try {
    vite = await devServer(signaling);
    // Precise memory info: performance.memory otherwise reports bucketed, delayed values.
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, '--enable-precise-memory-info'] });
    const context = await browser.newContext();
    // tsx compiles this file with esbuild's keepNames, which wraps named functions in __name();
    // functions shipped to the page by evaluate() need that helper there too.
    await context.addInitScript('window.__name = (f) => f');
    const env: Env = { browser, context, base: vite.resolvedUrls?.local[0] ?? '', cancelled: false };
    const runner = sectionRunner(env, quick, only);
    const floors = await floorSections(runner);
    await quorumSection(runner, floors);
    await memorySection(runner);
    await membershipSections(runner);
    return { rows: runner.rows, chromium: browser.version() };
  } finally {
    await browser?.close().catch(() => undefined);
    await vite?.close().catch(() => undefined);
    await signaling.close().catch(() => undefined);
  }
}

/** Runs the sections of one bench run and gathers their rows. */
interface Runner {
  env: Env;
  quick: boolean;
  rows: Row[];
  /** Runs a section unless `only` leaves it out; returns its rows (none if left out). */
  run(title: string, expected: Expect[], timeoutMs: number, fn: (out: Row[]) => Promise<void>): Promise<Row[]>;
  /** A section's deadline in ms: `quickS` seconds in a quick run, `fullS` in a full one. */
  T(quickS: number, fullS: number): number;
}

function sectionRunner(env: Env, quick: boolean, only: string | undefined): Runner {
  const rows: Row[] = [];
  return {
    env,
    quick,
    rows,
    async run(title, expected, timeoutMs, fn) {
      if (only && !title.includes(only) && !title.includes('floor')) return [];
      const r = await section(env, title, expected, timeoutMs, fn);
      rows.push(...r);
      return r;
    },
    T: (quickS, fullS) => (quick ? quickS : fullS) * 1000,
  };
}

interface Floors {
  /** Data channel round trip plus an IndexedDB put (default durability), p50 ms. */
  floorMs: number;
  /** Data channel round trip alone, p50 ms: a forwarded put's floor has two. */
  rttMs: number;
  /** IndexedDB records/s with group commit (default durability). */
  groupCommit: number;
}

/** The physical floors every store row is compared with: a data-channel round trip and IndexedDB puts. */
async function floorSections({ env, quick, run, T }: Runner): Promise<Floors> {
  const named = (rs: Row[], name: string) => rs.find((r) => r.name === name)?.p50 ?? NaN;
  const RTT = 'floor: data channel round trip, tab ↔ tab (small message)';
  const rtt = await run('data channel floor', [[RTT, 'ms']], T(60, 180), async (out) => {
    out.push(await dataChannelRtt(env, quick ? 300 : 2000));
  });

  const batch = quick ? 2000 : 10_000;
  const idbName = (d: string) => `floor: IndexedDB put, durability ${d}`;
  const batchName = (d: string) => `IndexedDB ${batch} concurrent puts (group commit), ${d}`;
  const durabilities = ['default', 'relaxed', 'strict'] as const;
  const idb = await run(
    'IndexedDB floor',
    durabilities.flatMap((d): Expect[] => [[idbName(d), 'ms'], [batchName(d), 'records/s']]),
    T(120, 400),
    (out) => idbPuts(env, out, quick ? 300 : 2000, batch),
  );
  return { floorMs: named(rtt, RTT) + named(idb, idbName('default')), rttMs: named(rtt, RTT), groupCommit: named(idb, batchName('default')) };
}

async function quorumSection({ env, quick, run, T }: Runner, { floorMs, rttMs, groupCommit }: Floors): Promise<void> {
  const seconds = quick ? 5 : 15;
  const load = `${TABS} tabs × ${OUTSTANDING} outstanding`;
  await run(
    'quorum latency and throughput',
    [
      ['put, 5 tabs, N=3 W=2, concurrency 1', 'ms'],
      [PUT_SELF, 'ms'],
      [PUT_FWD, 'ms'],
      ...PUT_PHASES.map((p): Expect => [phaseName(p), 'ms']),
      ['get, 5 tabs, N=3 R=2, concurrency 1', 'ms'],
      ...GET_PHASES.map((p): Expect => [phaseName(p), 'ms']),
      [`put, ${load}, N=3 W=2`, 'ms'],
      [`throughput: acknowledged puts/s, ${load}, ${seconds} s`, 'puts/s'],
      [`get, ${load}, N=3 R=2`, 'ms'],
      [`throughput: acknowledged gets/s, ${load}, ${seconds} s`, 'gets/s'],
    ],
    T(180, 600),
    async (out) => {
      const pages = await ringOf(env, 'bench-quorum', TABS, '&n=3&r=2&w=2');
      await quorumLatency(pages, out, quick ? 300 : 2000, floorMs, rttMs);
      await loadedQuorum(env, pages, out, { seconds, warmS: quick ? 1 : 2, floorMs, groupCommit, load });
    },
  );
}

async function memorySection({ env, quick, run, T }: Runner): Promise<void> {
  const sizes = quick ? [10_000] : [10_000, 100_000];
  const repairAmong = sizes[sizes.length - 1]! + DIVERGENT;
  await run(
    'memory and anti-entropy repair',
    [
      ['memory: JS heap per tab, empty 5-tab ring', 'MiB'],
      ...sizes.flatMap((s, i): Expect[] => [i === 0 ? [loadName(s), 'puts/s'] : [seedName(s), 'keys/s'], [heapName(s), 'MiB']]),
      [repairName(repairAmong), 'ms'],
    ],
    T(300, 1200),
    // A put costs ~7 ms of CPU across the ring (2-core machine): 100k of them would take minutes. So
    // only the first size is loaded with puts (stopping at this cap, the rows then say how many);
    // the rest are seeded straight into the primaries (dynamo.seed), which is what the heap and
    // anti-entropy rows need, in seconds.
    (out) => memoryAndRepair(env, out, sizes, quick ? 150 : 180),
  );
}

async function membershipSections({ env, quick, run, T }: Runner): Promise<void> {
  const CONNECT = 'tab opened → first data channel up (dev server)';
  await run('connect', [[CONNECT, 'ms']], T(120, 300), async (out) => {
    out.push(await connectTime(env, quick ? 5 : 20, CONNECT));
  });

  const replicate = quick ? [1000] : [1000, 10_000];
  await run(
    'join and replicate',
    [['membership: tab opened → listed as a member by all 5 others', 'ms'], ...replicate.map((k): Expect => [replicateName(k), 'ms'])],
    T(240, 900),
    (out) => joinAndReplicate(env, out, replicate),
  );

  const DOWN = 'membership: closed tab → reported down by a peer';
  await run('closed tab down', [[DOWN, 'ms']], T(90, 300), async (out) => {
    out.push(await closedTabDown(env, quick ? 3 : 10, DOWN));
  });
}

/**
 * Runs one section under a deadline. On failure or timeout: prints the error, marks the rows it
 * had not produced yet as NaN with the reason, and closes its tabs so the next section starts clean.
 */
async function section(env: Env, title: string, expected: Expect[], timeoutMs: number, fn: (out: Row[]) => Promise<void>): Promise<Row[]> {
  const out: Row[] = [];
  const t0 = Date.now();
  env.cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const work = fn(out);
  work.catch(() => undefined);
  const secs = () => ((Date.now() - t0) / 1000).toFixed(0);
  let result: Row[];
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    console.error(`bench: ${title}: ${secs()} s`);
    result = [...out];
  } catch (err) {
    env.cancelled = true;
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`bench: ${title}: FAILED after ${secs()} s: ${msg}`);
    result = [...out];
    for (const [name, unit] of expected) if (!result.some((r) => r.name === name)) result.push(failed(name, unit, msg));
  } finally {
    clearTimeout(timer);
  }
  await Promise.all(env.context.pages().map((p) => p.close().catch(() => undefined)));
  // Abandoned work fails fast on the closed tabs; give it a moment so it does not overlap the next section.
  if (env.cancelled) await Promise.race([work.catch(() => undefined), sleep(5000)]);
  env.cancelled = false;
  return result;
}

export async function devServer(signaling: SignalingServer): Promise<ViteDevServer> {
  const server = await createServer({
    logLevel: 'warn',
    // No HMR: an edit to the tree mid-run must not reload the pages being measured.
    server: { host: '127.0.0.1', port: 0, hmr: false, proxy: { '^/signal(\\?.*)?$': { target: signaling.url.replace('http', 'ws'), ws: true } } },
  });
  await server.listen();
  return server;
}

async function tab(env: Env, room: string, query = ''): Promise<Page> {
  if (env.cancelled) throw new Error('section cancelled');
  const page = await env.context.newPage();
  const log: string[] = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('response', (r) => r.status() >= 400 && log.push(`http ${r.status()}: ${r.url()}`));
  try {
    await page.goto(`${env.base}?room=${room}${query}`, { timeout: 30_000 });
    await page.waitForFunction(() => window.dynamo !== undefined, undefined, { timeout: 30_000 });
  } catch (err) {
    await page.close().catch(() => undefined);
    throw new Error(`tab ${room}${query} did not start: ${(err as Error).message}\n${log.join('\n')}`);
  }
  if (env.cancelled) {
    await page.close().catch(() => undefined);
    throw new Error('section cancelled');
  }
  return page;
}

async function meshOf(env: Env, room: string, count: number, query = ''): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) pages.push(await tab(env, room, `&node=${room}-${i}${query}`));
  try {
    for (const p of pages) await p.waitForFunction((n) => window.dynamo!.transport.peers().length === n, count - 1, { timeout: 30_000 });
  } catch (err) {
    throw new Error(`${room}: the ${count} tabs did not all connect: ${(err as Error).message.split('\n')[0]}`);
  }
  return pages;
}

/** A mesh whose tabs all list each other up, agree on the ring, and have no transfer pending. */
async function ringOf(env: Env, room: string, count: number, query = ''): Promise<Page[]> {
  const pages = await meshOf(env, room, count, query);
  const settled = await pollUntil(
    env,
    async () => {
      const s = await Promise.all(
        pages.map((p) =>
          p.evaluate(() => {
            const d = window.dynamo!;
            const up = d.members().filter((m) => m.status === 'up').length;
            return { up, digest: d.membership().digest, pending: d.stats().transfer.partitionsPending };
          }),
        ),
      );
      return s.every((x) => x.up === count && x.pending === 0 && x.digest === s[0]!.digest);
    },
    60_000,
    250,
  );
  if (!settled) throw new Error(`${room}: the ring of ${count} tabs did not settle within 60 s`);
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
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no echo for message ${i} within 10 s`)), 10_000);
        const off = t.onMessage((_f, d) => d === `bench:${i}` && (clearTimeout(timer), off(), resolve()));
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
async function idbPuts(env: Env, out: Row[], rounds: number, batch: number): Promise<void> {
  const page = await tab(env, 'bench-idb');
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
    out.push(summarize(`floor: IndexedDB put, durability ${durability}`, r.single));
    out.push(single(`IndexedDB ${batch} concurrent puts (group commit), ${durability}`, r.perSec, 'records/s'));
  }
  await page.close();
}

/** The store: N=3 R=2 W=2 over 5 tabs, one request at a time from one tab. */
const PUT_SELF = 'put, concurrency 1, coordinated by the tab itself';
const PUT_FWD = 'put, concurrency 1, forwarded to a primary';
const PUT_PHASES = ['put.forward', 'put.mint', 'put.quorum', 'put.replica-rtt', 'serve.put'] as const;
const GET_PHASES = ['get.local', 'get.quorum', 'serve.get'] as const;
type PhaseKey = (typeof PUT_PHASES)[number] | (typeof GET_PHASES)[number];
const phaseName = (p: PhaseKey) => `  phase ${p} (concurrency 1)`;
const PHASE_NOTES: Record<PhaseKey, string> = {
  'put.forward': 'a forwarded put, send to answer (includes the coordinator\'s phases)',
  'put.mint': "coordinator's read + merge + durable write of the new version",
  'put.quorum': 'from the end of the mint until W acks',
  'put.replica-rtt': 'one replica, send to ack (includes its serve.put)',
  'serve.put': 'a replica storing a received version',
  'get.local': "the coordinator's own read",
  'get.quorum': 'from sending until R answers',
  'serve.get': 'a replica reading a key for a peer',
};

/**
 * Concurrency 1 from tab 1: puts (split by whether the tab coordinates them itself or forwards
 * them), then gets; after each, the per-phase breakdown every tab logged (stats().phasesMs).
 */
async function quorumLatency(pages: Page[], out: Row[], rounds: number, floorMs: number, rttMs: number): Promise<void> {
  const tab = pages[0] as Page;
  const puts = await tab.evaluate(async (rounds) => {
    const d = window.dynamo!;
    const all: number[] = [];
    const self: number[] = [];
    const fwd: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const key = `bench-${i}`;
      const primary = d.preferenceList(key).slice(0, d.options.n).includes(d.id);
      const t0 = performance.now();
      await d.put(key, { i, pad: 'x'.repeat(100) });
      const ms = performance.now() - t0;
      all.push(ms);
      (primary ? self : fwd).push(ms);
    }
    return { all, self, fwd };
  }, rounds);
  const putPhases = await phasesOf(pages, PUT_PHASES);
  const gets = await tab.evaluate(async (rounds) => {
    const d = window.dynamo!;
    const get: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await d.get(`bench-${i}`);
      get.push(performance.now() - t0);
    }
    return get;
  }, rounds);
  const getPhases = await phasesOf(pages, GET_PHASES);
  const idbMs = floorMs - rttMs;
  out.push(withFloor(summarize('put, 5 tabs, N=3 W=2, concurrency 1', puts.all), floorMs, FLOOR));
  out.push(withFloor(summarize(PUT_SELF, puts.self), floorMs, FLOOR));
  out.push(withFloor(summarize(PUT_FWD, puts.fwd), 2 * rttMs + idbMs, 'floor (2 RTT + IDB put)'));
  out.push(...putPhases);
  out.push(withFloor(summarize('get, 5 tabs, N=3 R=2, concurrency 1', gets), floorMs, FLOOR));
  out.push(...getPhases);
}

/** Each phase as logged by the tab that logged it most often (percentiles of different tabs do not merge). */
async function phasesOf(pages: Page[], phases: readonly PhaseKey[]): Promise<Row[]> {
  const all = await Promise.all(pages.map((p) => p.evaluate(() => window.dynamo!.stats().phasesMs)));
  return phases.map((phase) => {
    let best = 0;
    for (let i = 1; i < all.length; i++) if (all[i]![phase].count > all[best]![phase].count) best = i;
    const s = all[best]![phase];
    const tabs = all.filter((x) => x[phase].count > 0).length;
    return { name: phaseName(phase), unit: 'ms', n: s.count, p50: s.p50, p99: s.p99, p999: s.p999, note: `${PHASE_NOTES[phase]}; tab ${best + 1} of the ${tabs} that logged it` };
  });
}

interface DriveArgs {
  op: 'put' | 'get';
  tab: number;
  startAt: number;
  warmMs: number;
  durMs: number;
  outstanding: number;
  /** Puts issued per tab in the put phase: gets read those keys. */
  written: number[];
}
interface DriveResult {
  lat: number[];
  acked: number;
  errors: number;
  firstError: string | undefined;
  issued: number;
  /** Times this tab saw a peer change status (up / suspect / down) while it drove. */
  statusChanges: number;
}

/**
 * Every tab drives at once, `outstanding` requests in flight each (a closed loop), from a common
 * wall-clock start. Latency: requests started after the warm-up. Throughput: acknowledgements
 * that arrived inside the measured window, over its length.
 */
async function loadedQuorum(
  env: Env,
  pages: Page[],
  out: Row[],
  o: { seconds: number; warmS: number; floorMs: number; groupCommit: number; load: string },
): Promise<void> {
  let written: number[] = pages.map(() => 0);
  for (const op of ['put', 'get'] as const) {
    const startAt = Date.now() + 500;
    const args = { op, startAt, warmMs: o.warmS * 1000, durMs: o.seconds * 1000, outstanding: OUTSTANDING, written };
    const meter = await cpuMeter(env);
    const frames0 = await framing(pages[1]!);
    const drops0 = await ringDrops(pages);
    const profiler = await profileTab(env, pages[1]!);
    const results = await withTimeout(
      Promise.all(pages.map((p, tab) => p.evaluate(drive, { ...args, tab }))),
      (o.warmS + o.seconds) * 1000 + 30_000,
      `${op} load phase`,
    );
    const cpu = await meter.stop();
    const profile = await profiler.stop();
    const frames1 = await framing(pages[1]!);
    const perFrame = (frames1.messages - frames0.messages) / Math.max(1, frames1.frames - frames0.frames);
    if (op === 'put') written = results.map((r) => r.issued);
    const lat = results.flatMap((r) => r.lat);
    const acked = results.reduce((a, r) => a + r.acked, 0);
    const errors = results.reduce((a, r) => a + r.errors, 0);
    const firstError = results.find((r) => r.firstError)?.firstError;
    const flaps = results.reduce((a, r) => a + r.statusChanges, 0);
    const dropNote = `${dropsSince(drops0, await ringDrops(pages))}; peer status changes seen: ${flaps}`;
    const errNote = `${errors > 0 ? `${errors} errors (${firstError})` : '0 errors'}; ${dropNote}`;
    const rate = acked / o.seconds;
    const w = op === 'put' ? 'W' : 'R';
    out.push(withFloor(summarize(`${op}, ${o.load}, N=3 ${w}=2`, lat, 'ms', errNote), o.floorMs, FLOOR));
    const mean = lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length);
    // Replica writes per tab: each put is stored on N=3 tabs (W=2 acknowledge, the third follows).
    const idbPerTab = op === 'put' ? (rate * 3) / pages.length : NaN;
    out.push(
      single(
        `throughput: acknowledged ${op}s/s, ${o.load}, ${o.seconds} s`,
        rate,
        `${op}s/s`,
        `${bound(cpu, idbPerTab, o.groupCommit)}; ${profile}; tab 1 sent ${perFrame.toFixed(1)} messages per data-channel frame; ${TABS * OUTSTANDING} in flight / ${mean.toFixed(0)} ms mean latency = ${(((TABS * OUTSTANDING) / mean) * 1000).toFixed(0)}/s (Little); ${errNote}`,
      ),
    );
  }
}

/** Peer messages the ring dropped so far, by reason (stats().messages.dropReasons summed over tabs). */
async function ringDrops(pages: Page[]): Promise<Map<string, number>> {
  const all = await Promise.all(pages.map((p) => p.evaluate(() => ({ ...window.dynamo!.stats().messages.dropReasons }))));
  const sum = new Map<string, number>();
  for (const reasons of all) for (const [r, n] of Object.entries(reasons)) sum.set(r, (sum.get(r) ?? 0) + n);
  return sum;
}

function dropsSince(before: Map<string, number>, after: Map<string, number>): string {
  const diff = [...after].map(([r, n]) => [r, n - (before.get(r) ?? 0)] as const).filter(([, n]) => n > 0);
  return diff.length === 0 ? 'no peer message dropped' : `peer messages dropped: ${diff.map(([r, n]) => `${r} ${n}`).join(', ')}`;
}

/** Messages and frames a tab has sent so far (frames include heartbeats). */
function framing(page: Page): Promise<{ messages: number; frames: number }> {
  return page.evaluate(() => {
    const t = window.dynamo!.stats().transport;
    return { messages: t.messagesSent, frames: t.framesSent };
  });
}

/** Runs in the page (no closures over Node values). */
async function drive(a: DriveArgs): Promise<DriveResult> {
  const d = window.dynamo!;
  const pad = 'x'.repeat(100);
  while (Date.now() < a.startAt) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(20, a.startAt - Date.now()))));
  const from = a.startAt + a.warmMs;
  const end = from + a.durMs;
  const lat: number[] = [];
  let acked = 0;
  let errors = 0;
  let next = 0;
  let firstError: string | undefined;
  const loop = async () => {
    while (Date.now() < end) {
      const i = next++;
      let key = `c-${a.tab}-${i}`;
      if (a.op === 'get') {
        const t = Math.floor(Math.random() * a.written.length);
        key = `c-${t}-${Math.floor(Math.random() * Math.max(1, a.written[t] ?? 0))}`;
      }
      const began = Date.now();
      const t0 = performance.now();
      try {
        if (a.op === 'put') await d.put(key, { i, pad });
        else await d.get(key);
        const ms = performance.now() - t0;
        const done = Date.now();
        if (began >= from) lat.push(ms);
        if (done >= from && done < end) acked++;
      } catch (err) {
        if (began >= from) errors++;
        firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
    }
  };
  const status = () => d.members().map((m) => m.status).join();
  let last = status();
  let statusChanges = 0;
  const off = d.on('members', () => {
    const now = status();
    if (now !== last) statusChanges++;
    last = now;
  });
  await Promise.all(Array.from({ length: a.outstanding }, loop));
  off();
  return { lat, acked, errors, firstError, issued: next, statusChanges };
}

interface Cpu {
  /** Cores' worth of CPU all Chromium processes used over the window (NaN if unknown). */
  chromiumCores: number;
  /** The same by process type: renderer (the tabs), browser (IndexedDB, network), gpu, utility. */
  byType: Record<string, number>;
  /** Fraction of the machine's CPU time that was busy (any process, ours or not). */
  machineBusy: number;
  cores: number;
}

/** CPU over a window: Chromium's processes (CDP SystemInfo) and the whole machine (os.cpus). */
async function cpuMeter(env: Env): Promise<{ stop(): Promise<Cpu> }> {
  const cdp = await env.browser.newBrowserCDPSession().catch(() => undefined);
  const chromiumCpu = async (): Promise<Record<string, number>> => {
    try {
      const r = (await cdp!.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; cpuTime: number }> };
      const out: Record<string, number> = {};
      for (const p of r.processInfo) out[p.type] = (out[p.type] ?? 0) + p.cpuTime;
      return out;
    } catch {
      return {};
    }
  };
  const machine = () =>
    os.cpus().reduce(
      (a, c) => {
        const busy = c.times.user + c.times.nice + c.times.sys + c.times.irq;
        return { busy: a.busy + busy, total: a.total + busy + c.times.idle };
      },
      { busy: 0, total: 0 },
    );
  const c0 = await chromiumCpu();
  const m0 = machine();
  const t0 = Date.now();
  return {
    async stop() {
      const c1 = await chromiumCpu();
      const m1 = machine();
      const wall = (Date.now() - t0) / 1000;
      await cdp?.detach().catch(() => undefined);
      const byType: Record<string, number> = {};
      // Processes that started or ended inside the window count from zero or not at all: close enough.
      for (const [type, t] of Object.entries(c1)) byType[type] = (t - (c0[type] ?? 0)) / wall;
      const total = Object.values(byType).reduce((a, b) => a + b, 0);
      return { chromiumCores: Object.keys(byType).length > 0 ? total : NaN, byType, machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total), cores: os.cpus().length };
    },
  };
}

/**
 * Samples one tab's main thread (CDP Profiler, 1 ms) over a loaded phase: how idle it was and where
 * its self time went. Builtins have no URL: `send()` there is RTCDataChannel.send, `transaction()`
 * IDBDatabase.transaction, `(program)` native work outside any JS function.
 */
async function profileTab(env: Env, page: Page): Promise<{ stop(): Promise<string> }> {
  const cdp = await env.context.newCDPSession(page).catch(() => undefined);
  const started = await cdp
    ?.send('Profiler.enable')
    .then(() => cdp.send('Profiler.setSamplingInterval', { interval: 1000 }))
    .then(() => cdp.send('Profiler.start'))
    .then(() => true)
    .catch(() => false);
  return {
    async stop() {
      if (!cdp || !started) return 'no profile';
      try {
        const { profile } = (await cdp.send('Profiler.stop')) as {
          profile: { nodes: Array<{ hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }> };
        };
        // BENCH_PROFILE_DIR=dir keeps each raw profile (.cpuprofile: open in Chrome DevTools).
        const dir = process.env.BENCH_PROFILE_DIR;
        if (dir) writeFileSync(`${dir}/tab1-${Date.now()}.cpuprofile`, JSON.stringify(profile));
        const self = new Map<string, number>();
        let total = 0;
        for (const n of profile.nodes) {
          const cf = n.callFrame;
          const file = cf.url.split('/').pop()?.split('?')[0];
          const name = cf.functionName.startsWith('(') ? cf.functionName : `${cf.functionName || '(anonymous)'}()${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
          self.set(name, (self.get(name) ?? 0) + (n.hitCount ?? 0));
          total += n.hitCount ?? 0;
        }
        const pct = (k: string) => `${((100 * (self.get(k) ?? 0)) / Math.max(1, total)).toFixed(0)}%`;
        const top = [...self.entries()]
          .filter(([k]) => !['(idle)', '(program)', '(garbage collector)', '(root)'].includes(k))
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([k]) => `${k} ${pct(k)}`);
        return `tab 1 main thread: idle ${pct('(idle)')}, (program) ${pct('(program)')}, GC ${pct('(garbage collector)')}, top self time ${top.join(', ')}`;
      } catch (err) {
        return `no profile (${(err as Error).message.split('\n')[0]})`;
      } finally {
        await cdp.detach().catch(() => undefined);
      }
    },
  };
}

/** What limits a loaded phase, as far as we can tell from CPU and IndexedDB rates. */
function bound(cpu: Cpu, idbPerTab: number, groupCommit: number): string {
  const pct = (cpu.machineBusy * 100).toFixed(0);
  const types = Object.entries(cpu.byType)
    .filter(([, c]) => c >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([t, c]) => `${t} ${c.toFixed(2)}`)
    .join(', ');
  const chrome = Number.isFinite(cpu.chromiumCores) ? `Chromium used ${cpu.chromiumCores.toFixed(2)} of ${cpu.cores} cores (${types})` : 'Chromium CPU unknown';
  const idb = Number.isFinite(idbPerTab) ? `; ~${idbPerTab.toFixed(0)} replica writes/s per tab vs ${groupCommit.toFixed(0)}/s one-tab group-commit floor` : '';
  let verdict: string;
  if (cpu.machineBusy > 0.85) verdict = `bound: CPU (machine ${pct}% busy)`;
  else if (Number.isFinite(idbPerTab) && idbPerTab > 0.7 * groupCommit) verdict = 'bound: IndexedDB commits';
  else verdict = `bound: per-request latency (CPU ${pct}% busy, IndexedDB below its floor)`;
  return `${verdict}; ${chrome}, machine ${pct}% busy${idb}`;
}

// --- memory and anti-entropy repair --------------------------------------------------------------

const DIVERGENT = 1000;
const SPOT = 200;
const fmtK = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const loadName = (size: number) => `memory: load to ${fmtK(size)} keys, 5 tabs × ${OUTSTANDING} puts in flight`;
const seedName = (size: number) => `memory: seed to ${fmtK(size)} keys, straight into each key's primaries (dynamo.seed)`;
const heapName = (size: number) => `memory: JS heap per tab, ${fmtK(size)} keys in a 5-tab ring (N=3)`;
const repairName = (among: number) => `anti-entropy in tabs: ${DIVERGENT} divergent keys among ${fmtK(among)} → all served by the lagging tab`;
const replicateName = (keys: number) => `membership: ${keys} keys, tab opened → its partitions transferred`;

/**
 * Loads keys into a 5-tab ring and reads each tab's JS heap after a forced GC; then, in the same
 * ring, makes 1,000 keys divergent on one tab and times anti-entropy repairing them.
 */
async function memoryAndRepair(env: Env, out: Row[], sizes: number[], loadCapS: number): Promise<void> {
  const room = 'bench-memory';
  const pages = await ringOf(env, room, TABS);
  const cdps = await Promise.all(pages.map((p) => env.context.newCDPSession(p)));
  const heap = async (): Promise<number[]> =>
    Promise.all(
      pages.map(async (p, i) => {
        await cdps[i]!.send('HeapProfiler.collectGarbage');
        const used = await p.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize);
        if (used !== undefined) return used / 2 ** 20;
        const r = (await cdps[i]!.send('Runtime.getHeapUsage')) as { usedSize: number };
        return r.usedSize / 2 ** 20;
      }),
    );
  const renderers = await rendererProcesses(env);
  const base = await heap();
  const procNote = Number.isFinite(renderers)
    ? `${renderers} renderer processes for ${TABS} tabs${renderers < TABS ? ' (tabs sharing a process share its heap: values are per process)' : ''}`
    : 'renderer processes unknown';
  out.push(summarize('memory: JS heap per tab, empty 5-tab ring', base, 'MiB', `${TABS} tabs (p99 = max), after a forced GC; ${procNote}`));
  let loaded = 0;
  for (const size of sizes) {
    const t0 = Date.now();
    let capped = '';
    if (size === sizes[0]) {
      const r = await loadKeys(pages, loaded, size, t0 + loadCapS * 1000);
      const secs = (Date.now() - t0) / 1000;
      capped = r.attempted < size - loaded ? `; STOPPED at the ${loadCapS} s cap: ${loaded + r.attempted} keys loaded, not ${size}` : '';
      out.push(single(loadName(size), r.attempted / secs, 'puts/s', `${r.attempted} puts of a small value in ${secs.toFixed(1)} s, W=2; ${r.errors} failed after 3 tries${r.firstError ? ` (${r.firstError})` : ''}${capped}`));
      loaded += r.attempted;
    } else {
      const stored = await seedKeys(pages, loaded, size);
      const secs = (Date.now() - t0) / 1000;
      out.push(single(seedName(size), (size - loaded) / secs, 'keys/s', `${size - loaded} keys in ${secs.toFixed(1)} s, ${stored} replicas stored (N=3), no messages`));
      loaded = size;
    }
    const held = await Promise.all(pages.map((p) => p.evaluate(countHeld)));
    const h = await heap();
    const perKey = h.map((mib, i) => ((mib - base[i]!) * 2 ** 20) / Math.max(1, held[i]!)).sort((a, b) => a - b)[2]!;
    out.push(
      summarize(
        heapName(size),
        h,
        'MiB',
        `${capped ? `only ${loaded} keys (load cap); ` : ''}replicas held per tab ${Math.min(...held)}–${Math.max(...held)} (N=3 of ${TABS}); ≈${perKey.toFixed(0)} B heap per held key over the empty ring (median tab)`,
      ),
    );
  }
  out.push(await repairInTabs(env, pages, loaded, repairName(sizes[sizes.length - 1]! + DIVERGENT)));
  await Promise.all(cdps.map((c) => c.detach().catch(() => undefined)));
}

/**
 * Tab t puts keys m-i for i ≡ t (mod tabs) in [from, to), OUTSTANDING at a time, retrying a failure
 * twice; no new put starts after `deadline` (epoch ms). Returns how many keys were attempted.
 */
async function loadKeys(pages: Page[], from: number, to: number, deadline: number): Promise<{ attempted: number; errors: number; firstError: string | undefined }> {
  const rs = await Promise.all(
    pages.map((p, t) =>
      p.evaluate(
        async ({ from, to, t, tabs, outstanding, deadline }) => {
          const d = window.dynamo!;
          let next = from + t;
          let attempted = 0;
          let errors = 0;
          let firstError: string | undefined;
          const loop = async () => {
            while (next < to && Date.now() < deadline) {
              const i = next;
              next += tabs;
              attempted++;
              for (let attempt = 1; attempt <= 3; attempt++) {
                try {
                  await d.put(`m-${i}`, { i });
                  break;
                } catch (err) {
                  if (attempt === 3) {
                    errors++;
                    firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
                  }
                }
              }
            }
          };
          await Promise.all(Array.from({ length: outstanding }, loop));
          return { attempted, errors, firstError };
        },
        { from, to, t, tabs: pages.length, outstanding: OUTSTANDING, deadline },
      ),
    ),
  );
  return { attempted: rs.reduce((a, r) => a + r.attempted, 0), errors: rs.reduce((a, r) => a + r.errors, 0), firstError: rs.find((r) => r.firstError)?.firstError };
}

/** Every tab seeds keys m-i for i in [from, to) (each stores those it is a primary of); returns replicas stored. */
async function seedKeys(pages: Page[], from: number, to: number): Promise<number> {
  const stored = await Promise.all(
    pages.map((p) =>
      p.evaluate(
        async ({ from, to }) => {
          const d = window.dynamo!;
          let n = 0;
          for (let start = from; start < to; start += 5000) {
            const entries = [];
            for (let i = start; i < Math.min(to, start + 5000); i++) entries.push({ key: `m-${i}`, value: { i } });
            n += await d.seed(entries);
          }
          return n;
        },
        { from, to },
      ),
    ),
  );
  return stored.reduce((a, b) => a + b, 0);
}

/** Runs in the page: key records in this tab's IndexedDB (its replicas; hints are kept elsewhere). */
function countHeld(): Promise<number> {
  const d = window.dynamo!;
  return new Promise<number>((resolve, reject) => {
    const req = indexedDB.open(`dynamo-${d.room.id}-${d.id}`);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const c = db.transaction('keys', 'readonly').objectStore('keys').count();
      c.onsuccess = () => (db.close(), resolve(c.result));
      c.onerror = () => (db.close(), reject(c.error));
    };
  });
}

/** Runs in the page: how many of `keys` have a record in this tab's IndexedDB (a read-only look). */
function heldOf(keys: string[]): Promise<number> {
  const d = window.dynamo!;
  return new Promise<number>((resolve, reject) => {
    const req = indexedDB.open(`dynamo-${d.room.id}-${d.id}`);
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      const store = db.transaction('keys', 'readonly').objectStore('keys');
      let found = 0;
      let left = keys.length;
      if (left === 0) return db.close(), resolve(0);
      for (const k of keys) {
        const g = store.getKey(k);
        g.onsuccess = () => {
          if (g.result !== undefined) found++;
          if (--left === 0) db.close(), resolve(found);
        };
        g.onerror = () => (db.close(), reject(g.error));
      }
    };
  });
}

/** Runs in the page: cut this tab off from every peer, read `keys` with r=1 (so locally), heal. */
async function servedIsolated(keys: string[]): Promise<number> {
  const d = window.dynamo!;
  d.faults.isolate(d.members().map((m) => m.id));
  try {
    let ok = 0;
    await Promise.all(
      keys.map(async (k) => {
        try {
          if ((await d.get(k, { r: 1, timeoutMs: 3000 })).values.length > 0) ok++;
        } catch {
          // not served: counted as missing
        }
      }),
    );
    return ok;
  } finally {
    d.faults.heal();
  }
}

async function rendererProcesses(env: Env): Promise<number> {
  const cdp = await env.browser.newBrowserCDPSession().catch(() => undefined);
  try {
    const r = (await cdp!.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string }> };
    return r.processInfo.filter((p) => p.type === 'renderer').length;
  } catch {
    return NaN;
  } finally {
    await cdp?.detach().catch(() => undefined);
  }
}

interface AaeTotals {
  keysPushed: number;
  exchanges: number;
  repairs: number;
  hintsPending: number;
  hintsStored: number;
}
async function aaeTotals(pages: Page[]): Promise<AaeTotals> {
  const s = await Promise.all(
    pages.map((p) =>
      p.evaluate(() => {
        const st = window.dynamo!.stats();
        return { keysPushed: st.antiEntropy.keysPushed, exchanges: st.antiEntropy.exchanges, repairs: st.antiEntropy.repairs, hintsPending: st.hints.pending, hintsStored: st.hints.stored };
      }),
    ),
  );
  const sum = (f: (x: AaeTotals) => number) => s.reduce((a, x) => a + f(x), 0);
  return { keysPushed: sum((x) => x.keysPushed), exchanges: sum((x) => x.exchanges), repairs: sum((x) => x.repairs), hintsPending: sum((x) => x.hintsPending), hintsStored: sum((x) => x.hintsStored) };
}

/**
 * Anti-entropy repair in tabs (issue 6). Divergence without hints, through the public API: tab A
 * coordinates 1,000 fresh keys whose primaries are exactly {A, B, X}, while A has cut itself off
 * from X and the two tabs that are not replicas of those keys (and X from everyone, so B's
 * anti-entropy cannot start the repair early). A's sloppy quorum then has A and B (W=2 met) and
 * no healthy fallback to hold a hint for X, so X silently misses all 1,000 keys and only
 * anti-entropy can bring them. Then A and X heal, and we time until the ring's anti-entropy pushes
 * reach 1,000 keys and X, cut off from everyone, serves a 200-key sample with r=1 (from its own
 * IndexedDB), polled every 0.5 s; at the end all 1,000 are checked that way.
 */
async function repairInTabs(env: Env, pages: Page[], loaded: number, name: string): Promise<Row> {
  const a = pages[0]!;
  const x = pages[pages.length - 1]!;
  const plan = await planDivergence(a, await x.evaluate(() => window.dynamo!.id));
  if (plan.keys.length < DIVERGENT) throw new Error(`found only ${plan.keys.length} keys whose primaries are {A, B, X}`);
  const sample = plan.keys.filter((_, i) => i % Math.floor(DIVERGENT / SPOT) === 0).slice(0, SPOT);

  const before = await aaeTotals(pages);
  await diverge(env, a, x, plan);
  const mid = await aaeTotals(pages);
  const missingBefore = SPOT - (await x.evaluate(heldOf, sample));

  const t0 = Date.now();
  await Promise.all([a, x].map((p) => p.evaluate(() => window.dynamo!.faults.heal())));
  const w = await awaitRepair(env, pages, x, sample, mid, t0);
  const after = await aaeTotals(pages);
  const servedAll = Number.isNaN(w.servedMs) ? w.lastServed : await x.evaluate(servedIsolated, plan.keys);
  const note = [
    Number.isNaN(w.servedMs) ? `NOT repaired within 150 s: sample ${w.lastServed}/${SPOT} served, ${w.lastHeld}/${SPOT} in its IndexedDB` : `${servedAll}/${DIVERGENT} then served isolated with r=1`,
    `pushes reached ${DIVERGENT} at ${Number.isNaN(w.pushedMs) ? 'never' : `${(w.pushedMs / 1000).toFixed(1)} s`} (${after.keysPushed - mid.keysPushed} keys pushed ring-wide, ${after.exchanges - mid.exchanges} exchanges, ${after.repairs - mid.repairs} found differences)`,
    `divergence: ${missingBefore}/${SPOT} sample keys missing on the tab before the heal, ${mid.hintsStored - before.hintsStored} hints made (tab cut off from all; coordinator cut off from it and the 2 non-replicas, W=2 with the other replica)`,
    `sample of ${SPOT} polled each 0.5 s`,
  ].join('; ');
  return single(name, w.servedMs, 'ms', `ring held ${loaded} + ${DIVERGENT} keys; ${note}`);
}

interface DivergencePlan {
  /** The third primary of the keys (besides A and X). */
  b: string;
  /** Keys whose primaries are exactly {A, B, X}. */
  keys: string[];
  /** Whom A cuts itself off from: everyone but B. */
  cut: string[];
}

/** Picks DIVERGENT keys whose primaries are A (the page), X and one common third tab B. */
function planDivergence(a: Page, xId: string): Promise<DivergencePlan> {
  return a.evaluate(
    ({ xId, count }) => {
      const d = window.dynamo!;
      const byThird = new Map<string, string[]>();
      for (let j = 0; j < count * 60; j++) {
        const key = `aae-${j}`;
        const primaries = d.preferenceList(key).slice(0, d.options.n);
        if (!primaries.includes(d.id) || !primaries.includes(xId)) continue;
        const third = primaries.find((p) => p !== d.id && p !== xId) ?? '';
        byThird.set(third, [...(byThird.get(third) ?? []), key]);
      }
      const best = [...byThird.entries()].sort((p, q) => q[1].length - p[1].length)[0];
      const b = best?.[0] ?? '';
      return { b, keys: (best?.[1] ?? []).slice(0, count), cut: d.members().map((m) => m.id).filter((id) => id !== d.id && id !== b) };
    },
    { xId, count: DIVERGENT },
  );
}

/** Cuts X off and A from all but B, then writes the plan's keys through A with W=2: X misses them all. */
async function diverge(env: Env, a: Page, x: Page, plan: DivergencePlan): Promise<void> {
  // Both sides: X cut off from everyone too, so X's co-replica B cannot repair it before the heal.
  await x.evaluate(() => window.dynamo!.faults.isolate(window.dynamo!.members().map((m) => m.id)));
  await a.evaluate((cut) => window.dynamo!.faults.isolate(cut), plan.cut);
  const down = await pollUntil(env, () => a.evaluate((cut) => window.dynamo!.members().every((m) => !cut.includes(m.id) || m.status !== 'up'), plan.cut), 10_000);
  if (!down) throw new Error('the coordinator still sees the cut tabs up 10 s after isolating them');
  const wrote = await a.evaluate(async (keys) => {
    const d = window.dynamo!;
    let next = 0;
    let errors = 0;
    let maxReplicas = 0;
    let firstError: string | undefined;
    const loop = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        try {
          maxReplicas = Math.max(maxReplicas, (await d.put(key, { divergent: key }, undefined, { w: 2 })).replicas);
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        }
      }
    };
    await Promise.all(Array.from({ length: 64 }, loop));
    return { errors, maxReplicas, firstError };
  }, plan.keys);
  if (wrote.errors > 0) throw new Error(`${wrote.errors} of the ${DIVERGENT} divergent puts failed: ${wrote.firstError}`);
}

interface RepairWait {
  /** Since the heal: when the ring's anti-entropy pushes reached DIVERGENT keys (NaN: never). */
  pushedMs: number;
  /** Since the heal: when X served the whole sample isolated (NaN: not within 150 s). */
  servedMs: number;
  lastServed: number;
  lastHeld: number;
}

/** Polls every 0.5 s, up to 150 s after the heal at `t0`, until X serves the sample on its own. */
async function awaitRepair(env: Env, pages: Page[], x: Page, sample: string[], mid: AaeTotals, t0: number): Promise<RepairWait> {
  const w: RepairWait = { pushedMs: NaN, servedMs: NaN, lastServed: 0, lastHeld: 0 };
  let polls = 0;
  const deadline = t0 + 150_000;
  while (Date.now() < deadline && !env.cancelled) {
    await sleep(500);
    polls++;
    const s = await aaeTotals(pages);
    const now = Date.now();
    if (s.keysPushed - mid.keysPushed >= DIVERGENT && Number.isNaN(w.pushedMs)) w.pushedMs = now - t0;
    // The isolated check disturbs the tab a little (it cuts its links for a moment), so run it only
    // once the pushes add up, or a read-only look at its IndexedDB finds the sample, or every 10 s.
    w.lastHeld = await x.evaluate(heldOf, sample);
    if (Number.isNaN(w.pushedMs) && w.lastHeld < SPOT && polls % 20 !== 0) continue;
    w.lastServed = await x.evaluate(servedIsolated, sample);
    if (w.lastServed === SPOT) {
      w.servedMs = now - t0;
      break;
    }
  }
  return w;
}

// --- membership ------------------------------------------------------------------------------------

/** From opening a tab (navigation start) to its first data channel being up. */
async function connectTime(env: Env, joins: number, name: string): Promise<Row> {
  const base = await tab(env, 'bench-join', '&node=bench-join-base');
  const samples: number[] = [];
  for (let i = 0; i < joins; i++) {
    if (env.cancelled) throw new Error('section cancelled');
    const page = await env.context.newPage();
    await page.goto(`${env.base}?room=bench-join&node=bench-join-${i}`, { timeout: 30_000 });
    samples.push(
      await withTimeout(
        page.evaluate(
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
        30_000,
        `tab ${i}: first data channel`,
      ),
    );
    await page.close();
  }
  await base.close();
  return summarize(name, samples);
}

/**
 * A sixth tab joins a five-tab ring holding `keys` keys: time until every tab lists it, and until
 * every tab agrees on the ring and has moved all it must (the newcomer then holds its partitions).
 */
async function joinAndReplicate(env: Env, out: Row[], sizes: number[]): Promise<void> {
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
    const listed = await pollUntil(env, async () => {
      const seen = await Promise.all(pages.map((p) => p.evaluate((id) => window.dynamo!.members().some((m) => m.id === id), `${room}-new`)));
      return seen.every(Boolean);
    });
    const listedMs = Date.now() - t0;
    const settled = await pollUntil(
      env,
      async () => {
        const s = await Promise.all(all.map((p) => p.evaluate(() => ({ d: window.dynamo!.membership().digest, p: window.dynamo!.stats().transfer.partitionsPending }))));
        return new Set(s.map((x) => x.d)).size === 1 && s.every((x) => x.p === 0);
      },
      300_000,
    );
    const settledMs = Date.now() - t0;
    const moved = (await Promise.all(pages.map((p) => p.evaluate(() => window.dynamo!.stats().transfer.moved)))).reduce((a, b) => a + b, 0);
    if (keys === sizes[0]) out.push(single('membership: tab opened → listed as a member by all 5 others', listed ? listedMs : NaN, 'ms', listed ? undefined : 'not listed within 60 s'));
    out.push(single(replicateName(keys), settled ? settledMs : NaN, 'ms', `${moved} keys moved${settled ? '' : '; not settled within 300 s'}`));
    await Promise.all(all.map((p) => p.close()));
  }
}

/** A tab closes: time until the others report it down (its goodbye frame, or the heartbeat). */
async function closedTabDown(env: Env, rounds: number, name: string): Promise<Row> {
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
    samples.push(await withTimeout(down, 30_000, 'closed tab reported down'));
    await a.close();
  }
  return summarize(name, samples);
}

// --- helpers -----------------------------------------------------------------------------------------

async function pollUntil(env: Env, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (env.cancelled) throw new Error('section cancelled');
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${(ms / 1000).toFixed(0)} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
