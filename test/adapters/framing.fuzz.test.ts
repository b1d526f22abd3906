// Seeded fuzzer for the data-channel framing (framing.ts). Each run frames a random queue of messages
// the way the transport does, mutates the frame stream (frames dropped, duplicated, reordered,
// truncated or bit-flipped; garbage, foreign, oversize and many-chunk frames inserted; the stream cut
// short), feeds it to a Reassembler and checks every result against the frame grammar:
//   - push never throws, and the reassembler never holds more than its limit;
//   - a message whose frames all arrived intact, in order and uninterrupted comes out whole and
//     exactly, wherever it sits after garbage (resynchronisation); one over the limit never does, and
//     is reported once; a chunked message cut into by a whole-message frame never comes out;
//   - what comes out of damaged frames is unconstrained (the frames carry no checksum) but bounded;
//   - every frame that is not framing is reported malformed.
// FUZZ_SEED (first seed, default 1) and FUZZ_RUNS (default 3000) replay or widen it; a failure names
// its seed and the command that replays it alone. FUZZ_COVERAGE=1 prints how often each case came up.

import { describe, expect, it } from 'vitest';
import { Reassembler, encodeFrames, packFrame, type FrameResult } from '../../src/adapters/webrtc/framing';
import { seededRandom, type SeededRandom } from '../../src/sim/random';

const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 1);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** What the sender meant by a group of frames: one whole-message or batch frame, or one chunked message. */
interface Unit {
  frames: string[];
  messages: string[];
}

/** A frame as received: from which unit (-1: garbage), which of its frames, and whether it is unchanged. */
interface Received {
  frame: string;
  unit: number;
  part: number;
  intact: boolean;
}

interface Scenario {
  max: number;
  units: Unit[];
  stream: Received[];
  mutations: string[];
}

/** How often each checked situation came up: a fuzzer that never reaches one proves nothing about it. */
interface Coverage {
  frames: number;
  delivered: number;
  /** Intact messages delivered after something bad had already come through the stream. */
  resynced: number;
  oversizeDropped: number;
  cutDropped: number;
  malformedFrames: number;
  damagedWindows: number;
}

// --- generation ---------------------------------------------------------------------------------

/** Characters that mean something to the framing, ASCII, and non-ASCII including surrogate pairs. */
function text(rng: SeededRandom, length: number): string {
  let s = '';
  while (s.length < length) {
    const kind = rng.int(10);
    if (kind < 3) s += 'mbce:0123456789'[rng.int(15)];
    else if (kind < 8) s += String.fromCharCode(32 + rng.int(95));
    else if (kind < 9) s += String.fromCharCode(0xa0 + rng.int(0xd000));
    else if (s.length + 2 <= length) s += '\ud83d' + String.fromCharCode(0xdc00 + rng.int(0x400));
  }
  return s;
}

function messageLength(rng: SeededRandom, chunk: number, max: number): number {
  const r = rng.next();
  if (r < 0.5) return rng.int(chunk + 1);
  if (r < 0.85) return chunk + rng.int(3 * chunk);
  return max + 1 + rng.int(2 * chunk);
}

/** Frames a queue the way the transport does: long messages chunked, short ones packed into batches. */
function frameQueue(messages: string[], chunk: number): Unit[] {
  const units: Unit[] = [];
  for (let at = 0; at < messages.length; ) {
    const m = messages[at] as string;
    if (m.length > chunk) {
      units.push({ frames: encodeFrames(m, chunk), messages: [m] });
      at++;
    } else {
      const { frame, next } = packFrame(messages, at, chunk);
      units.push({ frames: [frame], messages: messages.slice(at, next) });
      at = next;
    }
  }
  return units;
}

function scenario(seed: number): Scenario {
  const rng = seededRandom(seed);
  const chunk = 2 + rng.int(30);
  const max = rng.pick([chunk, 2 * chunk + rng.int(chunk), 1 + rng.int(6 * chunk), 50 * chunk]);
  const messages = Array.from({ length: rng.int(25) }, () => text(rng, messageLength(rng, chunk, max)));
  const units = frameQueue(messages, chunk);
  const stream = units.flatMap((u, unit) => u.frames.map((frame, part) => ({ frame, unit, part, intact: true })));
  const s: Scenario = { max, units, stream, mutations: [] };
  const ops = rng.chance(0.15) ? 0 : 1 + rng.int(5);
  for (let i = 0; i < ops; i++) mutate(rng.fork(`op${i}`), s, chunk);
  return s;
}

const GARBAGE_BATCH_HEADERS = ['', 'x', ':', '01:a', '-1:', '999999999:abc', '1234567890:a', '5:abc', '3:abcx:', '2:ab:', '0'];

function garbageFrame(rng: SeededRandom): string {
  switch (rng.int(4)) {
    case 0:
      return '';
    case 1:
      return 'b' + rng.pick(GARBAGE_BATCH_HEADERS);
    case 2:
      // Any tag but the four of the framing, control tags included (a transport passes on 'h…' with a payload).
      return rng.pick(['h', 'H', 'x', 'v', 'V', 'z', '\u0000', 'M', '1', '\ud83d']) + text(rng, rng.int(8));
    default:
      return rng.pick(['m', 'b', 'c', 'e']) + text(rng, rng.int(12));
  }
}

/** A unit from another sender: small, batched, oversize in one frame, chunked, or in thousands of chunks. */
function foreignUnit(rng: SeededRandom, chunk: number, max: number): Unit {
  const kind = rng.int(5);
  if (kind === 0) return frameQueue([text(rng, rng.int(chunk + 1))], chunk)[0] as Unit;
  if (kind === 1) return frameQueue([text(rng, 1 + rng.int(3)), text(rng, 1 + rng.int(3))], chunk + 16)[0] as Unit;
  if (kind === 2) {
    const m = text(rng, max + 1 + rng.int(chunk));
    return { frames: ['m' + m], messages: [m] };
  }
  const m = text(rng, kind === 3 ? chunk + 1 + rng.int(4 * chunk) : 2000 + rng.int(4000));
  return { frames: encodeFrames(m, kind === 3 ? chunk : 2), messages: [m] };
}

function mutate(rng: SeededRandom, s: Scenario, chunk: number): void {
  const { stream } = s;
  const at = rng.int(stream.length + 1);
  const kinds = ['garbage', 'foreign', 'drop', 'duplicate', 'swap', 'move', 'flip', 'cut frame', 'truncate stream'];
  const kind = stream.length === 0 ? rng.pick(['garbage', 'foreign']) : rng.pick(kinds);
  const i = Math.min(at, stream.length - 1);
  const target = stream[i] as Received;
  s.mutations.push(`${kind}@${at}`);
  if (kind === 'garbage') stream.splice(at, 0, { frame: garbageFrame(rng), unit: -1, part: 0, intact: false });
  else if (kind === 'foreign') {
    const u = foreignUnit(rng, chunk, s.max);
    s.units.push(u);
    stream.splice(at, 0, ...u.frames.map((frame, part) => ({ frame, unit: s.units.length - 1, part, intact: true })));
  } else if (kind === 'drop') stream.splice(i, 1);
  else if (kind === 'duplicate') stream.splice(rng.int(stream.length + 1), 0, { ...target });
  else if (kind === 'swap') {
    const j = Math.min(stream.length - 1, i + 1 + rng.int(3));
    [stream[i], stream[j]] = [stream[j] as Received, target];
  } else if (kind === 'move') stream.splice(rng.int(stream.length), 0, ...stream.splice(i, 1));
  else if (kind === 'flip' && target.frame.length > 0) {
    const c = rng.int(target.frame.length);
    const flipped = String.fromCharCode(target.frame.charCodeAt(c) ^ (1 << rng.int(16)));
    stream[i] = { ...target, frame: target.frame.slice(0, c) + flipped + target.frame.slice(c + 1), intact: false };
  } else if (kind === 'cut frame' && target.frame.length > 0) {
    stream[i] = { ...target, frame: target.frame.slice(0, rng.int(target.frame.length)), intact: false };
  } else if (kind === 'truncate stream') stream.length = at;
}

// --- checking -----------------------------------------------------------------------------------

/** The frames of a chunked message since the last 'e', and where a whole-message frame first cut in. */
interface Window {
  frames: number[];
  cutAt: number;
}

/** Feeds the stream to a reassembler and checks each result: what broke (by frame index), and what came out. */
function run(s: Scenario, cov: Coverage): { problems: string[]; delivered: string[] } {
  const r = new Reassembler(s.max);
  const problems: string[] = [];
  const delivered: string[] = [];
  const results: FrameResult[] = [];
  const window: Window = { frames: [], cutAt: -1 };
  let troubled = false;
  for (let i = 0; i < s.stream.length && problems.length < 5; i++) {
    const got = s.stream[i] as Received;
    let res: FrameResult;
    try {
      res = r.push(got.frame);
    } catch (err) {
      problems.push(`frame ${i} ${show(got.frame)}: push threw ${String(err)}`);
      break;
    }
    results.push(res);
    if (res.kind === 'message') delivered.push(res.data);
    if (res.kind === 'batch') delivered.push(...res.data);
    if (r.buffered > s.max) problems.push(`frame ${i}: holds ${r.buffered} characters, limit ${s.max}`);
    const ok = expectResult(s, i, res, results, window, troubled, cov);
    if (ok !== true) problems.push(`frame ${i} ${show(got.frame)} (${origin(got)}): ${ok}`);
    troubled ||= !got.intact || got.unit < 0 || res.kind === 'overflow' || res.kind === 'malformed';
  }
  cov.frames += s.stream.length;
  return { problems, delivered };
}

/** Checks one frame's result against the grammar; true, or what is wrong. */
function expectResult(s: Scenario, i: number, res: FrameResult, results: FrameResult[], w: Window, troubled: boolean, cov: Coverage): true | string {
  const got = s.stream[i] as Received;
  const tag = got.frame[0];
  if (res.kind === 'message') cov.delivered++;
  if (res.kind === 'batch') cov.delivered += res.data.length;
  if (tag === 'c') {
    w.frames.push(i);
    return res.kind === 'none' || res.kind === 'overflow' ? true : `a chunk gave ${res.kind}`;
  }
  if (tag === 'e') {
    w.frames.push(i);
    const verdict = expectMessageEnd(s, w, res, results, troubled, cov);
    w.frames = [];
    w.cutAt = -1;
    return verdict;
  }
  if (tag === 'm' || tag === 'b') {
    if (w.frames.length > 0 && w.cutAt < 0) w.cutAt = i;
    return expectWhole(s, got, res, troubled, cov);
  }
  cov.malformedFrames++;
  return res.kind === 'malformed' ? true : `a frame that is not framing gave ${res.kind}, not malformed`;
}

/** A whole-message or batch frame: exactly what its unit sent if intact; bounded whatever it is. */
function expectWhole(s: Scenario, got: Received, res: FrameResult, troubled: boolean, cov: Coverage): true | string {
  const out = res.kind === 'message' ? [res.data] : res.kind === 'batch' ? res.data : [];
  if (out.some((m) => m.length > s.max)) return `passed up a message over the limit ${s.max}`;
  if (!got.intact || got.unit < 0) return true;
  const sent = (s.units[got.unit] as Unit).messages;
  const fits = sent.every((m) => m.length <= s.max);
  if (!fits) return res.kind === 'overflow' ? true : `an intact frame over the limit gave ${res.kind}, not overflow`;
  const want: FrameResult = got.frame[0] === 'm' ? { kind: 'message', data: sent[0] as string } : { kind: 'batch', data: sent };
  if (JSON.stringify(res) !== JSON.stringify(want)) return `an intact frame gave ${show(JSON.stringify(res))}, not ${show(JSON.stringify(want))}`;
  if (troubled) cov.resynced += out.length;
  return true;
}

/** The last chunk: the window is one unit's frames, all intact and in order, or the result is unconstrained. */
function expectMessageEnd(s: Scenario, w: Window, res: FrameResult, results: FrameResult[], troubled: boolean, cov: Coverage): true | string {
  const overflows = w.frames.filter((f) => results[f]?.kind === 'overflow').length;
  const delivered = res.kind === 'message';
  if (delivered && res.data.length > s.max) return `passed up a message of ${res.data.length} over the limit ${s.max}`;
  if (w.cutAt >= 0) {
    cov.cutDropped++;
    if (delivered) return `a chunked message cut into at frame ${w.cutAt} came out`;
    const reports = overflows + (res.kind === 'malformed' ? 1 : 0);
    return reports === 1 ? true : `a cut message was reported ${reports} times, not once`;
  }
  const unit = cleanUnit(s, w.frames);
  if (unit === undefined) {
    cov.damagedWindows++;
    return overflows <= 1 && !(delivered && overflows > 0) ? true : `damaged chunks: ${overflows} overflows, then ${res.kind}`;
  }
  const sent = unit.messages[0] as string;
  if (sent.length > s.max) {
    cov.oversizeDropped++;
    return !delivered && overflows === 1 ? true : `an oversize message gave ${res.kind} after ${overflows} overflow reports`;
  }
  if (!delivered || res.data !== sent || overflows > 0) return `intact chunks of a ${sent.length}-character message gave ${res.kind}`;
  if (troubled) cov.resynced++;
  return true;
}

/** The unit whose frames, all of them and nothing else, intact and in order, the window holds. */
function cleanUnit(s: Scenario, frames: number[]): Unit | undefined {
  const first = s.stream[frames[0] as number] as Received;
  const unit = s.units[first.unit];
  if (!unit || unit.frames.length !== frames.length) return undefined;
  const exact = frames.every((f, k) => {
    const got = s.stream[f] as Received;
    return got.intact && got.unit === first.unit && got.part === k;
  });
  return exact ? unit : undefined;
}

function show(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s);
}

function origin(got: Received): string {
  return got.unit < 0 ? 'garbage' : `unit ${got.unit} frame ${got.part}${got.intact ? '' : ', damaged'}`;
}

// --- the run ------------------------------------------------------------------------------------

function replay(seed: number, s: Scenario, problems: string[]): string {
  return [
    `seed ${seed}: replay with FUZZ_SEED=${seed} FUZZ_RUNS=1 npx vitest run --project node test/adapters/framing.fuzz.test.ts`,
    `  limit ${s.max}, ${s.units.length} units, ${s.stream.length} frames; mutations: ${s.mutations.join(', ') || 'none'}`,
    ...problems.map((p) => `  ${p}`),
  ].join('\n');
}

/** Without mutations, exactly the messages within the limit come out, in order. */
function expectedClean(s: Scenario): string[] {
  return s.units.flatMap((u) => (u.messages.every((m) => m.length <= s.max) ? u.messages : []));
}

describe('framing fuzz', () => {
  it(`survives ${RUNS} mutated frame streams from seed ${FIRST_SEED}, resynchronising after garbage`, () => {
    const cov: Coverage = { frames: 0, delivered: 0, resynced: 0, oversizeDropped: 0, cutDropped: 0, malformedFrames: 0, damagedWindows: 0 };
    const failures: string[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS && failures.length < 3; seed++) {
      const s = scenario(seed);
      const { problems, delivered } = run(s, cov);
      if (s.mutations.length === 0 && JSON.stringify(delivered) !== JSON.stringify(expectedClean(s))) {
        problems.push(`an unmutated stream gave ${delivered.length} messages, not the ${expectedClean(s).length} sent within the limit`);
      }
      if (problems.length > 0) failures.push(replay(seed, s, problems));
    }
    if (process.env.FUZZ_COVERAGE) console.log(JSON.stringify(cov));
    expect(failures, `${failures.length} failing seed(s):\n${failures.join('\n\n')}`).toEqual([]);
    // Each situation the checks cover must come up, or a change to the generator has hollowed them out.
    if (RUNS >= 500) {
      for (const [what, n] of Object.entries(cov)) expect(n, `${what} never came up in ${RUNS} runs`).toBeGreaterThan(0);
    }
  });
});
