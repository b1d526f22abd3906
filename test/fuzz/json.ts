// JSON toolkit for the protocol fuzzer: boundary values, raw text a JS value cannot hold, random JSON.
//
// Why raw tokens: some of the most interesting inputs have no JS value that JSON.stringify would
// write: `-0`, `1e400` (parses to Infinity), a 50,000-deep nesting (building it as objects would
// overflow our own stack). A Raw placeholder is written into the message as a unique string and
// replaced by its text after serialization.

import type { SeededRandom } from '../../src/sim/random';

export type J = null | boolean | number | string | J[] | { [key: string]: J };

const RAW_MARK = '\u0001raw:';
const raws = new Map<string, string>();

/** A placeholder serialized as `text` verbatim by `serialize`. */
export function raw(text: string): string {
  const token = `${RAW_MARK}${raws.size}`;
  raws.set(token, text);
  return token;
}

/** The length of what `x` serializes to, raw placeholders counted as their text. */
export function rawLength(x: J): number {
  const text = JSON.stringify(x) ?? 'null';
  return typeof x === 'string' && raws.has(x) ? raws.get(x)!.length : text.length;
}

/** JSON.stringify, with raw placeholders replaced by their text (and forgotten). */
export function serialize(value: J): string {
  const text = JSON.stringify(value);
  if (raws.size === 0 || !text.includes('\\u0001raw:')) return text;
  const out = text.replace(/"\\u0001raw:(\d+)"/g, (whole, n: string) => raws.get(`${RAW_MARK}${n}`) ?? whole);
  raws.clear();
  return out;
}

/** Numbers at the edges of every range a validator checks. */
export function boundaryNumber(rng: SeededRandom): J {
  const plain = [-1, 0, 1, 0.5, 2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 48, 2 ** 48 + 1, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324];
  const odd = ['-0', '1e400', '-1e400', '1E2', '0.0', '1e-400', '123456789012345678901234567890'];
  const strings = ['NaN', 'Infinity', '-0', '1', ''];
  const r = rng.int(10);
  if (r < 6) return rng.pick(plain);
  if (r < 8) return raw(rng.pick(odd));
  return rng.pick(strings);
}

/** Names that are Object.prototype members: a lookup by them on a plain object finds something. */
export const PROTO_NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', 'prototype', 'isPrototypeOf'];

/** Sets `obj[key] = value` as an own, enumerable property, even for "__proto__". */
export function setOwn(obj: { [key: string]: J }, key: string, value: J): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A string of `length` characters mixing ASCII, JSON escapes and astral characters. */
export function text(rng: SeededRandom, length: number): string {
  if (length > 4096) return rng.pick(['x', '\u00e9', '"', '\\', '\ud83d\ude00']).repeat(Math.ceil(length / 2)).slice(0, length);
  let s = '';
  while (s.length < length) {
    const k = rng.int(12);
    if (k < 8) s += String.fromCharCode(32 + rng.int(95));
    else if (k < 9) s += rng.pick(['"', '\\', '\n', '\u0000', '\u2028']);
    else if (k < 10) s += String.fromCharCode(0xa0 + rng.int(0xd000));
    else if (k < 11) s += '\ud83d\ude00';
    else s += rng.pick(['\ud800', '\udfff']); // lone surrogates
  }
  return s;
}

/**
 * How big a generated thing is: usually small, sometimes just past a bound, rarely huge. The huge
 * ones cost the node (and the fuzzer) milliseconds each in JSON.parse alone, so they are kept rare
 * enough that a CI run still sends its 100,000 messages in about a minute.
 */
export function scale(rng: SeededRandom, small: number[], bounds: number[], huge: number[]): number {
  const r = rng.int(1000);
  if (r < 700) return rng.pick(small);
  if (r < 995) return rng.pick(bounds);
  return rng.pick(huge);
}

export function length(rng: SeededRandom): number {
  return scale(rng, [0, 1, 5, 12], [33, 64, 65, 100, 101, 1024, 1025, 2000, 2001, 4097, 20_000], [70_000, 1 << 20, (1 << 20) + 1, 5_000_000]);
}

/** Random JSON up to `depth` levels, with prototype names among the keys. */
export function randomJson(rng: SeededRandom, depth = 3): J {
  const r = rng.int(depth > 0 ? 9 : 6);
  switch (r) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return boundaryNumber(rng);
    case 3:
      return rng.int(1000) - 10;
    case 4:
      return text(rng, rng.chance(0.95) ? rng.int(12) : length(rng));
    case 5:
      return rng.pick(PROTO_NAMES);
    case 6:
    case 7: {
      const out: { [key: string]: J } = {};
      for (let i = rng.int(5); i > 0; i--) setOwn(out, rng.chance(0.3) ? rng.pick(PROTO_NAMES) : text(rng, rng.int(6)), randomJson(rng, depth - 1));
      return out;
    }
    default:
      return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth - 1));
  }
}

/** Raw text of `value` nested `levels` deep in arrays or objects. */
export function deepNesting(rng: SeededRandom, levels: number, inner = '0'): string {
  return rng.chance(0.5) ? '['.repeat(levels) + inner + ']'.repeat(levels) : '{"a":'.repeat(levels) + inner + '}'.repeat(levels);
}

/** A deep copy (messages are JSON). */
export function clone<T extends J>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}
