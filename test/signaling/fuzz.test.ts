// Seeded fuzzer of the signaling server's frames: a real server on loopback, several clients sending
// random and mutated frames checked against a model of the protocol, while a well-behaved pair keeps
// joining and relaying. Replay a failure with FUZZ_SEED=<seed> (printed) and FUZZ_FRAMES=<n>.
// The frames each client sends are fixed by the seed; how clients interleave is up to the scheduler.

import { afterAll, expect, it } from 'vitest';
import { seededRandom, type SeededRandom } from '../../src/sim/random';
import { RELAY_ENVELOPE, type ServerFrame } from '../../signaling/protocol';
import { DEFAULT_LIMITS, type SignalingServer, type SignalingStats } from '../../signaling/server';
import { until } from '../support/wait';
import { FrameSource, FUZZ_ROOMS, STALLED_ID, type FuzzFrame } from './fuzz-frames';
import { ClientModel, closesWith, mismatch, unsolicited } from './fuzz-oracle';
import { Harness, stallReading, TestClient } from './helpers';

const SEED = envInt('FUZZ_SEED') ?? Math.floor(Math.random() * 2 ** 32);
const FRAMES = envInt('FUZZ_FRAMES') ?? 3000;
const CLIENTS = 4;
const BATCH = 16;
const LIMITS = {
  // Rate limiting would make replies depend on timing; its own tests cover it.
  ratePerSec: 1e9,
  burst: 1e9,
  maxPeersPerRoom: 4,
  // Short, so fuzzers that stay outside a room are cut mid-run; long enough for the good pair to join.
  joinTimeoutMs: 1000,
  pingIntervalMs: 2000,
};
const MAX_PAYLOAD = DEFAULT_LIMITS.maxPayload;
/** A server frame wraps at most one client frame's data in a small envelope. */
const LARGEST_SERVER_FRAME = MAX_PAYLOAD + RELAY_ENVELOPE;

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

const h = new Harness();
afterAll(() => h.closeServers());

interface Tally {
  frames: number;
  sessions: number;
  outcomes: Map<string, number>;
  largestFrame: number;
  peakBuffered: number;
}

it(`survives ${FRAMES} fuzzed frames while a well-behaved pair keeps relaying (seed ${SEED})`, async () => {
  try {
    await fuzz();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `[replay: FUZZ_SEED=${SEED} FUZZ_FRAMES=${FRAMES}] ${e.message}`;
    throw e;
  }
}, 60_000);

async function fuzz(): Promise<void> {
  const s = await h.start(LIMITS);
  const rng = seededRandom(SEED);
  const tally: Tally = { frames: 0, sessions: 0, outcomes: new Map(), largestFrame: 0, peakBuffered: 0 };
  const started = Date.now();
  const cpu = process.cpuUsage();
  let fuzzing = true;
  // One in the fuzzers' busiest room stops reading, and another floods it, so the fuzz runs while the
  // server drops relays to a slow reader and, past the hard cap or a missed ping, cuts it off.
  stallReading(await h.join(s, FUZZ_ROOMS[0]!, STALLED_ID));
  const flood = flooder(await h.join(s, FUZZ_ROOMS[0]!, 'flood'));
  const per = Math.ceil(FRAMES / CLIENTS);
  const clients = Array.from({ length: CLIENTS }, (_, i) => fuzzClient(s, rng.fork(`client-${i}`), per, tally));
  let elapsed = 0;
  let cpuSeconds = 0;
  const fuzzers = Promise.all(clients).finally(() => {
    fuzzing = false;
    elapsed = (Date.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    cpuSeconds = (used.user + used.system) / 1e6;
  });
  // One that never joins, to see the join timeout among the noise.
  const idler = h.open(s).then((c) => c.closeCode(LIMITS.joinTimeoutMs + 5000));
  const [relays, idled, pushedBack] = await Promise.all([goodPair(s, () => fuzzing), idler, flood, fuzzers]);
  expect(idled).toBe(4408);
  expect(pushedBack, 'the flooder was told its reader is slow, or saw it cut off').toBe(true);
  report(tally, elapsed, cpuSeconds, relays, s.stats());
  expect(h.internalErrors, 'errors the server logged').toEqual([]);
  tally.largestFrame = Math.max(...h.clients.map((c) => c.largestFrame));
  expect(tally.largestFrame, 'the largest frame the server sent').toBeLessThanOrEqual(LARGEST_SERVER_FRAME);
  expect(tally.peakBuffered, 'the most bytes waiting for one reader').toBeLessThanOrEqual(DEFAULT_LIMITS.maxBuffered + LARGEST_SERVER_FRAME);
  h.terminateClients();
  // Nothing outlives its connection: no socket, room or member is left behind.
  await until(() => s.stats().connections === 0 && s.stats().rooms === 0 && s.stats().peers === 0, 5000, 'the server to forget every client');
  expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ ok: true, rooms: 0, peers: 0 });
}

/** Wall time depends on what else the machine runs; CPU time (server and clients share this process) less so. */
function report(tally: Tally, elapsed: number, cpuSeconds: number, relays: number, stats: SignalingStats): void {
  const outcomes = [...tally.outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  const server = `relays dropped ${stats.relaysDropped}, closed ${JSON.stringify(stats.closed)}, peak waiting ${tally.peakBuffered} B`;
  console.log(
    `fuzz seed ${SEED}: ${tally.frames} frames in ${tally.sessions} sessions, ${elapsed.toFixed(2)} s, ` +
      `${Math.round(tally.frames / elapsed)} frames/s (${cpuSeconds.toFixed(2)} s CPU); good pair relayed ${relays}; replies: ${outcomes}; ${server}`,
  );
}

/** Sends `budget` frames in batches, reconnecting whenever the server closes the connection. */
async function fuzzClient(s: SignalingServer, rng: SeededRandom, budget: number, tally: Tally): Promise<void> {
  const source = new FrameSource(rng, MAX_PAYLOAD);
  let left = budget;
  while (left > 0) {
    const c = await TestClient.open(s.url);
    h.clients.push(c);
    tally.sessions++;
    const model = new ClientModel(MAX_PAYLOAD);
    while (left > 0 && c.code === undefined) {
      const batch = nextBatch(source, Math.min(BATCH, left));
      left -= batch.length;
      tally.frames += batch.length;
      await runBatch(c, model, batch, tally);
      const stats = s.stats();
      tally.peakBuffered = Math.max(tally.peakBuffered, stats.maxBufferedBytes);
    }
    c.ws.terminate();
  }
}

/** Up to `n` frames, ending early after one the server must answer by closing. */
function nextBatch(source: FrameSource, n: number): FuzzFrame[] {
  const batch: FuzzFrame[] = [];
  while (batch.length < n) {
    const f = source.next();
    batch.push(f);
    if (closesWith(f, MAX_PAYLOAD) !== undefined) break;
  }
  return batch;
}

let markers = 0;

/** Sends a batch and a marker that always gets a reply, then checks every reply up to it against the model. */
async function runBatch(c: TestClient, model: ClientModel, batch: FuzzFrame[], tally: Tally): Promise<void> {
  const terminal = closesWith(batch[batch.length - 1]!, MAX_PAYLOAD) !== undefined;
  const marker = `sync-${++markers}`;
  const sent = terminal ? batch : [...batch, { payload: JSON.stringify({ type: marker }), binary: false, what: 'sync marker' }];
  for (const f of sent) c.ws.send(f.payload, { binary: f.binary });
  const end = terminal
    ? await c.closeCode(5000).then(() => 'closed' as const)
    : await c.nextOrClose((f) => f.type === 'error' && f.message.includes(marker), 5000);
  const all = c.frames.splice(0);
  const replies = end === 'closed' ? all : [...all, end];
  // A close code arrives after the last frame; give it its turn when the socket is going.
  if (end === 'closed' || c.ws.readyState !== c.ws.OPEN) await c.closeCode(5000);
  const answered = replies.filter((f) => !unsolicited(f));
  for (const r of answered) count(tally, r.type === 'error' ? r.code : r.type);
  if (c.code !== undefined) count(tally, `close ${c.code}`);
  const wrong = mismatch(model, sent, answered, c.code);
  if (wrong) throw new Error(wrong);
}

function count(tally: Tally, key: string): void {
  tally.outcomes.set(key, (tally.outcomes.get(key) ?? 0) + 1);
}

/**
 * Two clients from another address (so the fuzzers' connections never count against them) that join a
 * fresh room, relay to each other and check every relay arrives, then either leave and rejoin on the same
 * connection or reconnect; until `going` turns false. Returns how many relays arrived.
 */
async function goodPair(s: SignalingServer, going: () => boolean): Promise<number> {
  const from = { localAddress: '127.0.0.2' };
  let relays = 0;
  let [a, b] = await Promise.all([h.open(s, from), h.open(s, from)]);
  for (let cycle = 0; going() || cycle < 3; cycle++) {
    const room = `good-${cycle}`;
    a.send({ type: 'join', room, peer: 'a' });
    b.send({ type: 'join', room, peer: 'b' });
    await Promise.all([a.next((f) => f.type === 'welcome', 10_000), b.next((f) => f.type === 'welcome', 10_000)]);
    for (let i = 0; i < 3; i++) {
      relays += await relay(a, 'b', b, `${cycle}.${i}`);
      relays += await relay(b, 'a', a, `${cycle}.${i}`);
    }
    if (cycle % 2 === 0) {
      a.send({ type: 'leave' });
      b.send({ type: 'leave' });
    } else {
      a.ws.terminate();
      b.ws.terminate();
      [a, b] = await Promise.all([h.open(s, from), h.open(s, from)]);
    }
  }
  return relays;
}

/** Sends 60 KiB relays to the stalled peer until the server pushes back; false if 60 MiB went unchecked. */
async function flooder(c: TestClient): Promise<boolean> {
  const big = 'x'.repeat(60 * 1024);
  const pushback = (f: ServerFrame) => (f.type === 'error' && f.code === 'peer-slow') || (f.type === 'peer-left' && f.peer === STALLED_ID);
  for (let sent = 0; sent < 1024 && !c.frames.some(pushback); sent += 8) {
    for (let i = 0; i < 8; i++) c.send({ type: 'signal', to: STALLED_ID, data: big });
    await c.sync(10_000);
  }
  return c.frames.some(pushback);
}

async function relay(from: TestClient, to: string, target: TestClient, tag: string): Promise<number> {
  const data = { sdp: `v=0 ${tag}`, candidates: [tag, tag] };
  from.send({ type: 'signal', to, data });
  const got = await target.next((f) => f.type === 'signal' && JSON.stringify(f.data) === JSON.stringify(data), 10_000);
  expect(got).toMatchObject({ type: 'signal', data });
  return 1;
}
