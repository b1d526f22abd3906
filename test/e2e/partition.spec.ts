// Partition healing in real tabs, in Jepsen's shape (issue 8): concurrent writers add disjoint integers
// to one set-valued key by read-modify-write while a nemesis partitions, heals and reloads tabs; after
// the last heal every tab reads the key with R=N and the checker (test/support/jepsen.ts) demands that no
// acknowledged add is lost and that every tab reads the same set. A last-writer-wins ring must fail the
// same check (the negative control). Then three shapes from riak_test: hinted handoff across a closed
// tab, a wiped replica repaired by anti-entropy, and sibling explosion.
//
// Sizes come from the environment so `npm run soak` (SOAK=1) can run more cycles and writers:
//   JEPSEN_WRITERS (5; soak 10, spread over the 5 tabs)  JEPSEN_CYCLES (1; soak 4)
//   JEPSEN_CYCLE_MS (16000; soak 30000)  JEPSEN_LWW_CYCLE_MS (8000; soak 15000)
//   JEPSEN_PAUSE_MS (10, between a writer's operations)
//   HANDOFF_KEYS (1000)  WIPE_KEYS (200)  SIBLING_WRITES (100)

import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { checkSet, formatSetReport, unionOf, type FinalRead, type WriterLog } from '../support/jepsen';
import { expectPeers, freshRoom, openTab, waitForStatus } from './helpers';

const SOAK = !!process.env.SOAK;
const env = (name: string, dflt: number, soak = dflt): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return SOAK ? soak : dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${v}`);
  return n;
};
const WRITERS = env('JEPSEN_WRITERS', 5, 10);
const CYCLES = env('JEPSEN_CYCLES', 1, 4);
const CYCLE_MS = env('JEPSEN_CYCLE_MS', 16_000, 30_000);
const LWW_CYCLE_MS = env('JEPSEN_LWW_CYCLE_MS', 8_000, 15_000);
const PAUSE_MS = env('JEPSEN_PAUSE_MS', 10);
const HANDOFF_KEYS = env('HANDOFF_KEYS', 1000);
const WIPE_KEYS = env('WIPE_KEYS', 200);
const SIBLING_WRITES = env('SIBLING_WRITES', 100);

const TABS = 5;
const N = 3;
const OP_TIMEOUT_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// --- the ring ---------------------------------------------------------------------------------------

interface Ring {
  room: string;
  tabs: Page[];
  ids: string[];
}

/** Five tabs, pinned ids `<prefix>0..4`, N=3 R=2 W=2, opened together; resolves once they agree on the ring. */
async function openRing(context: BrowserContext, prefix: string, query = ''): Promise<Ring> {
  const room = freshRoom(prefix);
  const ids = Array.from({ length: TABS }, (_, i) => `${prefix}${i}`);
  const t0 = Date.now();
  const tabs = await Promise.all(ids.map((id) => openTab(context, room, `&node=${id}&n=${N}&r=2&w=2${query}`)));
  const opened = Date.now() - t0;
  await settledRing(tabs);
  console.log(`ring ${room}: ${TABS} tabs started in ${opened} ms, agreed on the ring in ${Date.now() - t0} ms`);
  return { room, tabs, ids };
}

async function settledRing(tabs: Page[], timeout = 20_000): Promise<void> {
  for (const t of tabs) await expectPeers(t, tabs.length - 1, timeout);
  await expect
    .poll(
      async () => {
        const views = await Promise.all(
          tabs.map((t) =>
            t.evaluate(() => {
              const d = window.dynamo!;
              return { digest: d.membership().digest, up: d.members().filter((m) => m.status === 'up' && m.tokens.length > 0).length };
            }),
          ),
        );
        return new Set(views.map((v) => v.digest)).size === 1 && views.every((v) => v.up === tabs.length);
      },
      { timeout },
    )
    .toBe(true);
}

/** Cuts the ring into `groups` (tab indexes): every tab isolates the ids outside its own group. */
async function partition(ring: Ring, groups: number[][]): Promise<void> {
  await Promise.all(
    groups.flatMap((g) => {
      const others = ring.ids.filter((_, i) => !g.includes(i));
      return g.map((i) => ring.tabs[i]!.evaluate((ids) => window.dynamo!.faults.isolate(ids), others));
    }),
  );
}

async function heal(ring: Ring): Promise<void> {
  await Promise.all(ring.tabs.map((t) => t.evaluate(() => window.dynamo!.faults.heal())));
}

function pendingHints(tabs: Page[]): Promise<number> {
  return Promise.all(tabs.map((t) => t.evaluate(() => window.dynamo!.stats().hints.pending))).then((n) => n.reduce((a, b) => a + b, 0));
}

async function reopen(page: Page): Promise<void> {
  await page.waitForFunction(() => window.dynamo !== undefined, null, { timeout: 20_000 });
}

// --- the set workload --------------------------------------------------------------------------------

/** `siblings`: how many the read returned; `dominated`: of those, how many were contained in another (false siblings). */
type Attempt =
  | { phase: 'get'; error: string; message?: string }
  | { phase: 'put'; ok: true; siblings: number; dominated: number; example?: string }
  | { phase: 'put'; ok: false; error: string; message: string; siblings: number; dominated: number; example?: string };

/** One read-modify-write in the tab: read (R=2), merge siblings by union, add `add`, write with the context. */
function addOnce(page: Page, key: string, add: number): Promise<Attempt> {
  return page.evaluate(
    async ({ key, add, timeoutMs }): Promise<Attempt> => {
      const d = window.dynamo;
      if (!d) return { phase: 'get', error: 'no node' };
      let read;
      try {
        read = await d.get(key, { timeoutMs });
      } catch (e) {
        return { phase: 'get', error: (e as Error).name || String(e), message: (e as Error).message };
      }
      const set = new Set<number>();
      const sibs = read.values.map((v) => new Set(Array.isArray(v) ? (v as number[]) : []));
      for (const s of sibs) for (const x of s) set.add(x);
      // The same test as dominatedSiblings (test/support/jepsen.ts), inline: this runs in the page.
      let dominated = 0;
      let example: string | undefined;
      sibs.forEach((a, i) => {
        const j = sibs.findIndex((b, j) => j !== i && b.size >= a.size && (b.size > a.size || j < i) && [...a].every((x) => b.has(x)));
        if (j < 0) return;
        dominated++;
        const newest = (s: Set<number>) => [...s].sort((p, q) => q - p).slice(0, 3).join(',');
        example ??= `sibling of ${a.size} (largest ${newest(a)}) inside sibling of ${sibs[j]!.size} (largest ${newest(sibs[j]!)}), ${sibs.length} siblings`;
      });
      set.add(add);
      const next = [...set].sort((a, b) => a - b);
      const seen = { siblings: read.values.length, dominated, example };
      try {
        await d.put(key, next, read.context, { timeoutMs });
        return { phase: 'put', ok: true, ...seen };
      } catch (e) {
        return { phase: 'put', ok: false, error: (e as Error).name || String(e), message: (e as Error).message, ...seen };
      }
    },
    { key, add, timeoutMs: OP_TIMEOUT_MS },
  );
}

interface Writer extends WriterLog {
  acknowledged: number[];
  unacknowledged: number[];
  readFailures: number;
  maxSiblings: number;
  falseSiblingReads: number;
  falseSiblingExample?: string;
}

/** Failures of all writers by fault phase and kind ("c0 partition {..} | {..}: put QuorumError"), in order of first occurrence. */
type Failures = Map<string, { count: number; message?: string }>;

async function runWriter(w: Writer, index: number, page: Page, key: string, running: () => boolean, phase: () => string, failures: Failures): Promise<void> {
  let seq = 0;
  const count = (kind: string, message?: string) => {
    const k = `${phase()}: ${kind}`;
    const f = failures.get(k) ?? { count: 0, message };
    f.count++;
    failures.set(k, f);
  };
  while (running()) {
    const add = (index + 1) * 1_000_000 + ++seq;
    let r: Attempt;
    try {
      r = await addOnce(page, key, add);
    } catch (e) {
      // The page went away under the call (a reload): the put may or may not have been made.
      w.unacknowledged.push(add);
      count('page gone');
      await sleep(100);
      await reopen(page).catch(() => undefined);
      continue;
    }
    if (r.phase === 'get') {
      // Nothing was written: the integer was never sent. Back off a little (a cut-off tab fails fast).
      w.readFailures++;
      count(`get ${r.error}`, r.message);
      await sleep(100);
      continue;
    }
    w.maxSiblings = Math.max(w.maxSiblings, r.siblings);
    if (r.dominated > 0) {
      w.falseSiblingReads++;
      w.falseSiblingExample ??= r.example;
    }
    if (r.ok) w.acknowledged.push(add);
    else {
      w.unacknowledged.push(add);
      count(`put ${r.error}`, r.message);
    }
    if (PAUSE_MS > 0) await sleep(PAUSE_MS);
  }
}

interface RunResult {
  writers: Writer[];
  reads: FinalRead[];
  timings: Record<string, number>;
  /** Repair counters summed over the ring when the final reads began. */
  repairs: Record<string, number>;
  failures: Failures;
}

/**
 * The whole Jepsen-shaped run on a fresh ring: writers for `cycles × cycleMs` under the nemesis, then the
 * last heal, settling (hints delivered, every member up), and a final R=N read from every tab.
 * Per cycle c (times as fractions of the cycle): 0.25 partition {c, c+1} | {the other three};
 * 0.50 heal; 0.55 reload tab c+2 (same ?node=); 0.70 isolate tab c+3 alone; 0.85 heal.
 */
async function jepsenRun(context: BrowserContext, prefix: string, query: string, cycles: number, cycleMs: number): Promise<RunResult> {
  const t0 = Date.now();
  const ring = await openRing(context, prefix, query);
  const timings: Record<string, number> = { 'ring up': Date.now() - t0 };
  const key = 'jepsen-set';
  const writers: Writer[] = Array.from({ length: WRITERS }, (_, i) => ({
    writer: `w${i}`,
    tab: ring.ids[i % TABS]!,
    acknowledged: [],
    unacknowledged: [],
    readFailures: 0,
    maxSiblings: 0,
    falseSiblingReads: 0,
  }));
  const start = Date.now();
  let phase = 'c0 start';
  let cycle = 0;
  const log = (what: string) => {
    phase = `c${cycle} ${what.replace(/ \(.*\)$/, '')}`;
    console.log(`  [${secs(Date.now() - start).padStart(6)}] ${what}`);
  };
  let running = true;
  const failures: Failures = new Map();
  const work = writers.map((w, i) => runWriter(w, i, ring.tabs[i % TABS]!, key, () => running, () => phase, failures));

  // A step that overruns its slot (a slow reload) pushes the rest of the schedule back, so every
  // fault phase keeps its length; the writers run until the shifted end.
  let shift = 0;
  const at = async (c: number, frac: number) => {
    const due = start + shift + (c + frac) * cycleMs;
    if (Date.now() > due) shift += Date.now() - due;
    await sleep(due - Date.now());
  };
  const name = (is: number[]) => `{${is.map((i) => ring.ids[i]).join(',')}}`;
  for (let c = 0; c < cycles; c++) {
    cycle = c;
    const pair = [c % TABS, (c + 1) % TABS];
    const rest = [0, 1, 2, 3, 4].filter((i) => !pair.includes(i));
    const reloaded = (c + 2) % TABS;
    const alone = (c + 3) % TABS;
    await at(c, 0.25);
    await partition(ring, [pair, rest]);
    log(`partition ${name(pair)} | ${name(rest)}`);
    await at(c, 0.5);
    await heal(ring);
    log('heal');
    await at(c, 0.55);
    const r0 = Date.now();
    phase = `c${c} reloading ${ring.ids[reloaded]}`;
    await ring.tabs[reloaded]!.reload();
    await reopen(ring.tabs[reloaded]!);
    log(`reloaded ${ring.ids[reloaded]} (node back in ${Date.now() - r0} ms)`);
    await at(c, 0.7);
    await partition(ring, [[alone], [0, 1, 2, 3, 4].filter((i) => i !== alone)]);
    log(`isolate ${ring.ids[alone]}`);
    await at(c, 0.85);
    await heal(ring);
    log('heal');
  }
  await at(cycles, 0);
  running = false;
  await Promise.all(work);
  log('writers stopped');
  timings['workload'] = Date.now() - start;

  // Let hints (and, once it lands, anti-entropy) settle: every tab back in the mesh, every member up,
  // no hint pending anywhere. There are no client operations meanwhile.
  const s0 = Date.now();
  await settledRing(ring.tabs);
  await expect.poll(() => pendingHints(ring.tabs), { timeout: 20_000 }).toBe(0);
  await sleep(1000);
  timings['settle'] = Date.now() - s0;
  log(`settled in ${Date.now() - s0} ms (hints pending 0, every member up)`);

  const repairs = await repairCounters(ring.tabs);
  const reads: FinalRead[] = [];
  for (let i = 0; i < TABS; i++) {
    let last = '';
    let got: { values: unknown[] } | undefined;
    for (let attempt = 0; attempt < 3 && !got; attempt++) {
      try {
        got = await ring.tabs[i]!.evaluate((key) => window.dynamo!.get(key, { r: 3, timeoutMs: 5000 }), key);
      } catch (e) {
        last = (e as Error).message.split('\n')[0]!;
        await sleep(500);
      }
    }
    reads.push(got ? { tab: ring.ids[i]!, siblings: got.values.map((v) => unionOf([v])) } : { tab: ring.ids[i]!, siblings: undefined, error: last });
  }
  timings['total'] = Date.now() - t0;
  await Promise.all(ring.tabs.map((t) => t.close()));
  return { writers, reads, timings, repairs, failures };
}

function printRun(title: string, run: RunResult): ReturnType<typeof checkSet> {
  const report = checkSet(run.writers, run.reads);
  console.log(formatSetReport(report, title));
  const ops = run.writers.reduce((a, w) => a + w.acknowledged.length + w.unacknowledged.length, 0);
  console.log(
    `  puts ${ops} (${(ops / (run.timings['workload']! / 1000)).toFixed(1)}/s), reads that failed (no put made) ` +
      `${run.writers.reduce((a, w) => a + w.readFailures, 0)}, most siblings a writer read ${Math.max(...run.writers.map((w) => w.maxSiblings))}`,
  );
  console.log('  failures by fault phase (a failed get sends nothing; a failed put is unacknowledged):');
  for (const [k, f] of run.failures) console.log(`    ${k} x${f.count}${f.message ? ` (e.g. "${f.message}")` : ''}`);
  console.log(`  repairs before the final reads (summed over tabs; the reloaded tab's restart from 0): ${JSON.stringify(run.repairs)}`);
  console.log(`  timings: ${Object.entries(run.timings).map(([k, v]) => `${k} ${secs(v)}`).join(', ')}`);
  for (const r of run.reads) if (r.error) console.log(`  final read on ${r.tab} failed: ${r.error}`);
  for (const w of run.writers) if (w.falseSiblingExample) console.log(`  ${w.writer} read a false sibling ${w.falseSiblingReads} time(s), e.g. ${w.falseSiblingExample}`);
  return report;
}

test.describe('set workload under partitions (Jepsen shape)', () => {
  test(`DVV: ${WRITERS} writers, ${CYCLES} cycle(s) of partition/heal/reload/isolate/heal: no acknowledged add lost`, async ({ context }) => {
    test.setTimeout(CYCLES * CYCLE_MS + 90_000);
    const run = await jepsenRun(context, 'jd', '', CYCLES, CYCLE_MS);
    const report = printRun('DVV', run);
    expect(report.acknowledged).toBeGreaterThan(0);
    expect(report.lost).toEqual([]);
    expect(report.phantoms).toEqual([]);
    expect(report.converged).toBe(true);
    expect(report.ok).toBe(true);
  });

  test('negative control: the same workload with last-writer-wins loses acknowledged adds', async ({ context }) => {
    test.setTimeout(LWW_CYCLE_MS + 90_000);
    const run = await jepsenRun(context, 'jl', '&versioning=lww', 1, LWW_CYCLE_MS);
    const report = printRun('LWW (negative control: must lose writes)', run);
    expect(report.acknowledged).toBeGreaterThan(0);
    expect(report.lost.length).toBeGreaterThan(0);
  });
});

// --- riak_test shapes, on one shared ring --------------------------------------------------------------
// Five tabs start once for these three tests (starting a ring costs 7-15 s on this machine). Each test
// heals and waits for the ring to settle first; a failed test restarts the worker, and with it the ring.

/** Keys (prefix-i) whose N primaries include `id`, as the ring on `page` places them. */
function keysReplicatedBy(page: Page, prefix: string, id: string, count: number): Promise<string[]> {
  return page.evaluate(
    ({ prefix, id, count, n }) => {
      const d = window.dynamo!;
      const out: string[] = [];
      for (let i = 0; out.length < count; i++) if (d.preferenceList(`${prefix}-${i}`).slice(0, n).includes(id)) out.push(`${prefix}-${i}`);
      return out;
    },
    { prefix, id, count, n: N },
  );
}

/** Writes key -> key from `page`, `parallel` at a time; returns the keys whose put failed. */
function writeKeys(page: Page, keys: string[], parallel = 16): Promise<string[]> {
  return page.evaluate(
    async ({ keys, parallel }) => {
      const d = window.dynamo!;
      const failed: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < keys.length) {
            const k = keys[next++]!;
            await d.put(k, k, undefined, { timeoutMs: 5000 }).catch(() => failed.push(k));
          }
        }),
      );
      return failed;
    },
    { keys, parallel },
  );
}

/** Reads every key with r=1 on `page` (isolated: from its own store) and returns those not holding key -> key. */
function missingAlone(page: Page, keys: string[]): Promise<string[]> {
  return page.evaluate(async (keys) => {
    const d = window.dynamo!;
    const missing: string[] = [];
    await Promise.all(
      keys.map(async (k) => {
        const got = await d.get(k, { r: 1, timeoutMs: 2000 }).catch(() => undefined);
        if (!got || got.values.length !== 1 || got.values[0] !== k) missing.push(k);
      }),
    );
    return missing;
  }, keys);
}

/** Cuts tab `i` off, reads `keys` there with r=1, heals; returns the keys it did not serve. */
async function servedAlone(ring: Ring, i: number, keys: string[]): Promise<string[]> {
  await partition(ring, [[i], ring.ids.map((_, j) => j).filter((j) => j !== i)]);
  try {
    return await missingAlone(ring.tabs[i]!, keys);
  } finally {
    await heal(ring);
  }
}

/**
 * How many of `keys` have a record in IndexedDB database `db`, looked at through a second connection
 * from `page`: no request reaches the node, so nothing here can trigger a repair. The database must
 * exist (the node opened it), or this would create an empty one under the node's feet.
 */
function storedCount(page: Page, db: string, keys: string[]): Promise<number> {
  return page.evaluate(
    ({ db, keys }) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open(db);
        open.onupgradeneeded = () => open.transaction!.abort();
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const conn = open.result;
          const req = conn.transaction('keys').objectStore('keys').getAllKeys();
          req.onsuccess = () => {
            const have = new Set(req.result as string[]);
            conn.close();
            resolve(keys.filter((k) => have.has(k)).length);
          };
          req.onerror = () => reject(req.error);
        };
      }),
    { db, keys },
  );
}

/** Closes tab `i` as a user would and waits until every other tab has it down. */
async function closeTab(ring: Ring, i: number): Promise<void> {
  await ring.tabs[i]!.close({ runBeforeUnload: true });
  for (const [j, t] of ring.tabs.entries()) if (j !== i) await waitForStatus(t, ring.ids[i]!, 'down');
}

async function reopenTab(context: BrowserContext, ring: Ring, i: number): Promise<void> {
  ring.tabs[i] = await openTab(context, ring.room, `&node=${ring.ids[i]}&n=${N}&r=2&w=2`);
}

/** Anti-entropy and transfer counters summed over the ring (read defensively: anti-entropy is new). */
async function repairCounters(tabs: Page[]): Promise<Record<string, number>> {
  const all = await Promise.all(
    tabs.map((t) =>
      t.evaluate(() => {
        const s = window.dynamo!.stats() as unknown as { antiEntropy?: Record<string, unknown>; transfer: { copied: number }; repairs: { read: number } };
        const ae = s.antiEntropy ?? {};
        const num = (v: unknown) => (typeof v === 'number' ? v : 0);
        return { aaeExchanges: num(ae.exchanges), aaeRepairs: num(ae.repairs), aaeKeysPushed: num(ae.keysPushed), transferCopied: s.transfer.copied, readRepairs: s.repairs.read };
      }),
    ),
  );
  const out: Record<string, number> = {};
  for (const c of all) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
}

test.describe('riak_test shapes on a five-tab ring', () => {
  let context: BrowserContext;
  let ring: Ring;

  test.beforeAll(async ({ browser }, info) => {
    info.setTimeout(60_000);
    context = await browser.newContext({ baseURL: info.project.use.baseURL });
    ring = await openRing(context, 'rt');
  });
  test.afterAll(async () => {
    await context?.close();
  });
  test.beforeEach(async () => {
    await heal(ring);
    await settledRing(ring.tabs);
  });

  test(`sibling explosion: two interleaved writers x ${SIBLING_WRITES} writes, each with its own last context, leave exactly 2 siblings`, async () => {
    const key = 'sibling-explosion';
    const [a, b] = [ring.tabs[0]!, ring.tabs[1]!];
    const put = (page: Page, value: string, ctx: string | undefined) =>
      page.evaluate(({ key, value, ctx }) => window.dynamo!.put(key, value, ctx).then((r) => r.context), { key, value, ctx });
    const t0 = Date.now();
    let [ca, cb]: (string | undefined)[] = [undefined, undefined];
    for (let i = 0; i < SIBLING_WRITES; i++) {
      ca = await put(a, `a-${i}`, ca);
      cb = await put(b, `b-${i}`, cb);
    }
    const writeMs = Date.now() - t0;
    const reads = await Promise.all(ring.tabs.map((t) => t.evaluate((key) => window.dynamo!.get(key, { r: 3 }), key)));
    console.log(
      `sibling explosion: ${2 * SIBLING_WRITES} interleaved writes in ${writeMs} ms; siblings read with r=3 per tab: ` +
        `${reads.map((r) => r.values.length).join(' ')}; values ${JSON.stringify(reads[0]!.values)}`,
    );
    for (const r of reads) expect([...r.values].sort()).toEqual([`a-${SIBLING_WRITES - 1}`, `b-${SIBLING_WRITES - 1}`]);
  });

  test('a wiped replica is repaired by anti-entropy alone: isolated, it serves every key with r=1', async () => {
    test.setTimeout(120_000);
    const wiped = 3;
    const id = ring.ids[wiped]!;
    const keys = await keysReplicatedBy(ring.tabs[0]!, 'wipe', id, WIPE_KEYS);
    expect(await writeKeys(ring.tabs[0]!, keys)).toEqual([]);
    await expect.poll(() => pendingHints(ring.tabs), { timeout: 20_000 }).toBe(0);
    expect(await servedAlone(ring, wiped, keys), 'before the wipe, it holds every key').toEqual([]);

    await closeTab(ring, wiped);
    const db = `dynamo-${ring.room}-${id}`;
    await ring.tabs[0]!.evaluate(
      (name) =>
        new Promise<void>((resolve, reject) => {
          // 'blocked' only means the closed tab's connection is still going away: the delete waits for it.
          const req = indexedDB.deleteDatabase(name);
          req.onsuccess = () => resolve();
          req.onerror = () => reject(req.error);
        }),
      db,
    );
    const before = await repairCounters(ring.tabs.filter((_, j) => j !== wiped));
    const r0 = Date.now();
    await reopenTab(context, ring, wiped);
    const reopenedMs = Date.now() - r0;
    const first = await storedCount(ring.tabs[wiped]!, db, keys);

    // No client reads or writes from here: watch its database through a second connection until every
    // key is back, then cut it off and check that it serves them all with r=1.
    let stored = first;
    let missing: string[] = keys;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      stored = await storedCount(ring.tabs[wiped]!, db, keys);
      if (stored === keys.length && (missing = await servedAlone(ring, wiped, keys)).length === 0) break;
      await sleep(500);
    }
    const repairedMs = Date.now() - r0;
    const after = await repairCounters(ring.tabs);
    const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
    console.log(
      `wipe: deleted ${db}; reopened in ${reopenedMs} ms holding ${first} of ${keys.length} keys; ` +
        (missing.length === 0 ? `repaired ${repairedMs} ms after reopening` : `after ${repairedMs} ms it stores ${stored} and misses ${missing.length}`) +
        `; repair counters since the wipe: ${JSON.stringify(delta)}`,
    );
    expect(missing).toEqual([]);
  });

  test(`hinted handoff across a closed tab: ${HANDOFF_KEYS} keys written while it is closed; reopened with the same id, it alone serves them all`, async () => {
    test.setTimeout(120_000);
    const closed = 4;
    const id = ring.ids[closed]!;
    const keys = await keysReplicatedBy(ring.tabs[0]!, 'handoff', id, HANDOFF_KEYS);
    await closeTab(ring, closed);

    const w0 = Date.now();
    const writers = ring.tabs.filter((_, j) => j !== closed);
    const share = Math.ceil(keys.length / writers.length);
    const failed = (await Promise.all(writers.map((t, i) => writeKeys(t, keys.slice(i * share, (i + 1) * share))))).flat();
    const writeMs = Date.now() - w0;
    const pending = await pendingHints(writers);
    console.log(`handoff: ${keys.length} keys replicated by ${id} written while it was closed in ${writeMs} ms (${failed.length} failed); hints pending ${pending}`);
    expect(failed).toEqual([]);
    expect(pending).toBeGreaterThanOrEqual(keys.length);

    const r0 = Date.now();
    const deliveredBefore = (await Promise.all(writers.map((t) => t.evaluate(() => window.dynamo!.stats().hints.delivered)))).reduce((a, b) => a + b, 0);
    await reopenTab(context, ring, closed);
    const reopenedMs = Date.now() - r0;
    await expect.poll(() => pendingHints(writers), { timeout: 30_000, intervals: [100, 250] }).toBe(0);
    const handoffMs = Date.now() - r0;
    const delivered = (await Promise.all(writers.map((t) => t.evaluate(() => window.dynamo!.stats().hints.delivered)))).reduce((a, b) => a + b, 0) - deliveredBefore;

    const missing = await servedAlone(ring, closed, keys);
    console.log(
      `handoff: reopened ${id} in ${reopenedMs} ms; every hint delivered ${handoffMs} ms after reopening (${delivered} delivered); ` +
        `isolated, it serves ${keys.length - missing.length} of ${keys.length} keys with r=1`,
    );
    expect(missing).toEqual([]);
  });
});
