// Frames for the signaling fuzzer: valid join/signal/leave frames and structure-aware mutations of them
// (type swaps, wrong kinds, prototype keys, boundary numbers, long strings, huge arrays, deep nesting,
// text damage), binary and invalid-UTF-8 frames, oversize frames, and replays. Deterministic per stream.

import type { SeededRandom } from '../../src/sim/random';

export interface FuzzFrame {
  payload: string | Buffer;
  /** Sent as a binary frame; a Buffer sent as text may hold invalid UTF-8. */
  binary: boolean;
  /** What made this frame, for failure reports. */
  what: string;
}

export const FUZZ_ROOMS = ['f1', 'f2', '__proto__', 'constructor', 'r'.repeat(64)];
/** A peer in FUZZ_ROOMS[0] that never reads, so relays to it back up. */
export const STALLED_ID = 'stalled';
const IDS = ['a', 'b', 'c', 'd', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'p'.repeat(64)];
const PROTO_KEYS = ['__proto__', 'constructor', 'hasOwnProperty', 'prototype', 'toString', 'valueOf', 'isPrototypeOf'];
const TYPES = ['join', 'signal', 'leave', 'welcome', 'error', 'peer-joined', ...PROTO_KEYS, '', 'JOIN', ' join', 'join\u0000', 't'.repeat(2000)];
const FIELDS = ['type', 'room', 'peer', 'to', 'data'];
const NUMBERS = [0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e20, 1e21, 1e308, -1e308, 5e-324];
/** Numbers only raw JSON text can carry: overflow to Infinity, negative zero, exponents that print long. */
const RAW_NUMBERS = ['1e400', '-1e400', '-0', '1E21', '1e20', '9e15', '0.1e-400', '123456789012345678901234567890'];
const STRINGS = ['', '\u0000', '\ud800', '\udfff\ud800', '😀', '\u2028', '"', '\\', 'é'.repeat(40)];
/** Replaced by raw text after JSON.stringify, for values JSON.stringify cannot produce. */
const RAW = '@@raw@@';
const MAX = 64 * 1024;

/** One generator per fuzz client; `maxPayload` is the server's frame limit. */
export class FrameSource {
  private readonly history: FuzzFrame[] = [];

  constructor(
    private readonly rng: SeededRandom,
    private readonly maxPayload: number,
  ) {}

  next(): FuzzFrame {
    const roll = this.rng.next();
    const frame =
      roll < 0.03 ? this.bigSignal()
      : roll < 0.2 ? this.valid()
      : roll < 0.6 ? this.mutated()
      : roll < 0.68 ? this.replay()
      : roll < 0.76 ? this.binary()
      : roll < 0.86 ? this.garbage()
      : roll < 0.97 ? this.damaged()
      : this.terminal();
    if (this.history.length < 64) this.history.push(frame);
    else this.history[this.rng.int(64)] = frame;
    return frame;
  }

  private valid(): FuzzFrame {
    const f = this.base();
    return { payload: JSON.stringify(f), binary: false, what: `valid ${f.type}` };
  }

  /** A well-formed signal carrying a huge array, so that big relays actually reach someone. */
  private bigSignal(): FuzzFrame {
    const to = this.rng.chance(0.25) ? STALLED_ID : this.rng.pick(IDS);
    const text = JSON.stringify({ type: 'signal', to, data: RAW }).replace(JSON.stringify(RAW), this.hugeArray(true));
    return { payload: text, binary: false, what: 'big signal' };
  }

  private base(): Record<string, unknown> {
    const r = this.rng;
    const kind = r.int(10);
    // Half the joins go to one room, so rooms fill up and ids collide.
    if (kind < 4) return { type: 'join', room: r.chance(0.5) ? FUZZ_ROOMS[0] : r.pick(FUZZ_ROOMS), peer: r.pick(IDS) };
    if (kind < 9) return { type: 'signal', to: r.chance(0.3) ? STALLED_ID : r.pick(IDS), data: this.value(3) };
    return { type: 'leave' };
  }

  private mutated(): FuzzFrame {
    const f = this.base();
    const notes: string[] = [];
    let raw: string | undefined;
    for (let i = 0, n = 1 + this.rng.int(3); i < n; i++) {
      const [note, rawText] = this.mutate(f);
      notes.push(note);
      raw = rawText ?? raw;
    }
    let text = JSON.stringify(f);
    if (raw !== undefined) text = text.replace(JSON.stringify(RAW), raw);
    return { payload: text, binary: false, what: `${String(f.type).slice(0, 20)}: ${notes.join(', ')}` };
  }

  /** Changes `f` in place; returns what it did and, for raw values, the text to splice in for RAW. */
  private mutate(f: Record<string, unknown>): [string, string?] {
    const r = this.rng;
    const field = r.pick(FIELDS);
    // Frames near the size limit cost milliseconds to parse on both ends; a few go a long way.
    const big = r.chance(0.12);
    switch (big ? 7 + r.int(2) : r.int(7)) {
      case 0:
        f.type = r.pick(TYPES);
        return [`type swapped`];
      case 1:
        f[field] = r.pick<unknown>([null, true, 7, [], {}, [f[field]], { v: f[field] }, String(f[field])]);
        return [`${field} of another kind`];
      case 2:
        delete f[field];
        return [`${field} dropped`];
      case 3: {
        const key = r.pick(PROTO_KEYS);
        // A plain assignment to __proto__ would set the prototype, not add a key.
        Object.defineProperty(f, key, { value: this.value(2), enumerable: true, writable: true, configurable: true });
        return [`own ${key} key`];
      }
      case 4:
        f[r.pick(['room', 'peer', 'to'])] = r.pick(PROTO_KEYS);
        return ['prototype name as id'];
      case 5:
        f[field] = 'x'.repeat(r.pick([63, 64, 65, 4096]));
        return [`long ${field}`];
      case 6:
        f[field] = RAW;
        return [`boundary number in ${field}`, r.chance(0.5) ? r.pick(RAW_NUMBERS) : String(r.pick(NUMBERS))];
      case 7:
        if (r.chance(0.3)) {
          f[field] = 'x'.repeat(this.maxPayload - 100);
          return [`${field} near the size limit`];
        }
        f.data = RAW;
        return ['huge array', this.hugeArray()];
      default:
        f.data = RAW;
        return ['deep nesting', this.deep()];
    }
  }

  /** A JSON array text of one repeated item; `full` fills the frame, with items that print longer half the time. */
  private hugeArray(full = false): string {
    const grows = ['1e20', '9e15', '1E21'];
    const item = full && this.rng.chance(0.5) ? this.rng.pick(grows) : this.rng.pick(['0', 'null', '""', '[]', '{}', '"\\u0000"', ...RAW_NUMBERS]);
    const room = Math.min(MAX, this.maxPayload) - 64;
    const n = full || this.rng.chance(0.5) ? Math.floor(room / (item.length + 1)) : this.rng.int(5000);
    return `[${Array<string>(Math.max(0, n)).fill(item).join(',')}]`;
  }

  private deep(): string {
    const d = this.rng.pick([64, 1000, 5000, 20_000, Math.floor(this.maxPayload / 2) - 100]);
    return this.rng.chance(0.5) ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(Math.floor(d / 3)) + '1' + '}'.repeat(Math.floor(d / 3));
  }

  private value(depth: number): unknown {
    const r = this.rng;
    if (depth <= 0 || r.chance(0.4)) return r.pick<unknown>([null, true, r.pick(NUMBERS), r.pick(STRINGS), r.pick(IDS)]);
    if (r.chance(0.5)) return Array.from({ length: r.int(4) }, () => this.value(depth - 1));
    return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick([...FIELDS, 'sdp', 'candidate']), this.value(depth - 1)]));
  }

  private replay(): FuzzFrame {
    if (this.history.length === 0) return this.valid();
    const f = this.rng.pick(this.history);
    return { ...f, what: `replay of ${f.what}` };
  }

  private binary(): FuzzFrame {
    if (this.rng.chance(0.5)) return { payload: Buffer.from(JSON.stringify(this.base())), binary: true, what: 'valid JSON as binary' };
    return { payload: this.bytes(this.rng.int(256)), binary: true, what: 'random binary' };
  }

  private garbage(): FuzzFrame {
    const r = this.rng;
    const text = r.pick([
      () => JSON.stringify(this.value(4)),
      () => String.fromCharCode(...Array.from({ length: r.int(64) }, () => r.int(0x3000))),
      () => r.pick(['', 'null', '[]', '"join"', '42', 'NaN', '{', '{"type":"join","type":"leave"}', '{"__proto__":{"type":"join"}}']),
    ])();
    return { payload: text, binary: false, what: 'garbage text' };
  }

  private damaged(): FuzzFrame {
    const text = JSON.stringify(this.base());
    const r = this.rng;
    const at = r.int(text.length + 1);
    const damage = r.pick([
      (): [string, string] => ['truncated', text.slice(0, at)],
      (): [string, string] => ['byte changed', text.slice(0, at) + String.fromCharCode(r.int(128)) + text.slice(at + 1)],
      (): [string, string] => ['chunk doubled', text.slice(0, at) + text.slice(at, at + 8) + text.slice(at)],
      (): [string, string] => ['wrapped in an array', `[${text}]`],
    ])();
    return { payload: damage[1], binary: false, what: `damaged: ${damage[0]}` };
  }

  /** Frames after which the server must close the connection. */
  private terminal(): FuzzFrame {
    if (this.rng.chance(0.5)) {
      const pad = 'x'.repeat(this.maxPayload + 1 + this.rng.int(1024));
      return { payload: JSON.stringify({ type: 'signal', to: 'a', data: pad }), binary: this.rng.chance(0.3), what: 'oversize' };
    }
    const bad = this.rng.pick([[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]);
    return { payload: Buffer.concat([Buffer.from('{"type":"'), Buffer.from(bad), Buffer.from('"}')]), binary: false, what: 'invalid UTF-8' };
  }

  private bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.rng.int(256)));
  }
}
