// The cost guard in front of JSON.parse (protocol/json-guard.ts): frames nested deeper or holding more
// values than any legal message are refused by decode() before they are parsed, with their own reason;
// the largest legal messages still pass.

import { describe, expect, it } from 'vitest';
import { decode, encode, seal } from '../../src/core/protocol/messages';
import { FRAME_LIMITS, guardJson } from '../../src/core/protocol/json-guard';
import { ValidationError } from '../../src/core/errors';
import type { Json } from '../../src/ports/storage';
import { chunks, setChars, SHIPMENT_CHARS } from '../../src/core/shipping';
import * as versions from '../../src/core/versions';
import { jsonUnits, MAX_JSON_DEPTH, MAX_MERGED_CHARS, MAX_MERGED_UNITS, MAX_SET_UNITS } from '../../src/core/versions';

const nested = (levels: number, inner = '0') => '['.repeat(levels) + inner + ']'.repeat(levels);

/** A put whose value is `valueJson` (raw JSON text), sealed. */
function putFrame(valueJson: string): string {
  return seal(`{"type":"put","id":1,"key":"k","set":{"clock":[["n",1,0]],"siblings":[{"dot":["n",1],"ts":0,"value":${valueJson}}]}}`);
}

describe('frames that would cost too much to parse', () => {
  it('nested deeper than any legal message: refused as too-deep, not parsed', () => {
    expect(decode(putFrame(nested(FRAME_LIMITS.depth + 1)))).toEqual({ ok: false, reason: 'too-deep' });
    expect(decode(seal(`{"type":"get","id":1,"key":"k","x":${'{"a":'.repeat(100_000)}0${'}'.repeat(100_000)}}`))).toEqual({ ok: false, reason: 'too-deep' });
  });

  it('more structure than any legal message: refused as too-many-values', () => {
    const many = `[${'[],'.repeat(FRAME_LIMITS.units / 3 + 1)}[]]`;
    expect(decode(putFrame(many))).toEqual({ ok: false, reason: 'too-many-values' });
  });

  it('counts what versions.jsonUnits counts in a value', () => {
    const values: Json[] = [[], {}, [1, [2, {}], { a: [null, 'x,:[{.'], b: { c: true } }], { 'k:,': 'v"[', z: [[[]]] }, [1.5, -3.5e3, 0.25], 'plain', 7];
    for (const v of values) {
      const text = JSON.stringify(v);
      const units = jsonUnits(v);
      expect(units).toBeLessThanOrEqual(text.length);
      if (units === 0) continue;
      const at = (u: number) => guardJson(' '.repeat(64) + text, { depth: 100, units: u });
      expect([at(units), at(units - 1)]).toEqual([undefined, 'too-many-values']);
    }
  });

  it('brackets, commas and escaped quotes inside strings are not structure', () => {
    const text = JSON.stringify(`\\"[{,:`.repeat(FRAME_LIMITS.units) + '\\');
    expect(guardJson(`{"a":${text},"b":[1]}`)).toBeUndefined();
    expect(guardJson(`["\\\\",${nested(FRAME_LIMITS.depth)}]`)).toBe('too-deep');
  });
});

describe('legal messages still pass', () => {
  it('a value nested as deep as a client may write it, inside a handoff', () => {
    expect(FRAME_LIMITS.depth).toBeGreaterThanOrEqual(MAX_JSON_DEPTH + 6);
    const value = JSON.parse(nested(MAX_JSON_DEPTH - 1)) as Json;
    const set = { clock: [['n', 1, 0]], siblings: [{ dot: ['n', 1], ts: 0, value }] };
    const frame = encode({ type: 'handoff', id: 1, sets: [{ key: 'k', set }] });
    expect(decode(frame).ok).toBe(true);
  });

  it('a get-reply carrying a stored set as dense as the merge bound allows, with a full clock', () => {
    const value = new Array<number>(MAX_SET_UNITS - 1).fill(0);
    expect(jsonUnits(value)).toBe(MAX_SET_UNITS);
    const names = Array.from({ length: 1024 }, (_, i) => `node-${String(i).padStart(59, '0')}`);
    const siblings = [0, 1].map((i) => ({ dot: [names[i], 1], ts: 0, value }));
    const set = { clock: names.map((n) => [n, 1, 0]), siblings } as unknown as Json;
    expect(2 * MAX_SET_UNITS).toBe(MAX_MERGED_UNITS);
    expect(decode(encode({ type: 'get-reply', id: 1, set })).ok).toBe(true);
  });

  it('a shipment as large as the chunker makes, of the densest values', () => {
    const all = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, set: { clock: [['n', 1, 0]], siblings: [{ dot: ['n', 1], ts: 0, value: new Array<Json>(2500).fill([]) }] } as Json }));
    const sets = chunks(all)[0]!;
    expect(sets.reduce((sum, s) => sum + setChars(s), 0)).toBeGreaterThan(0.95 * SHIPMENT_CHARS);
    expect(decode(encode({ type: 'handoff', id: 1, sets })).ok).toBe(true);
  });
});

describe('the write bound that keeps every stored set within the guard', () => {
  it('refuses a value whose structure is past MAX_SET_UNITS, and takes one at it', () => {
    const put = (value: Json[]) => versions.put(versions.empty(), { coordinator: 'n', context: versions.read(versions.empty()).context, value, now: 0 });
    expect(() => put(new Array(MAX_SET_UNITS).fill(0))).toThrow(ValidationError);
    expect(() => put(new Array(MAX_SET_UNITS - 1).fill(0))).not.toThrow();
  });

  it('a replica refuses to store a lone sibling from a peer past the merged bounds: it could not be shipped again', () => {
    const set = (value: Json) => ({ clock: [{ node: 'n', counter: 1, ts: 0 }], siblings: [{ dot: { node: 'n', counter: 1 }, ts: 0, value, tombstone: false }] }) as versions.SiblingSet;
    expect(() => versions.checkStorable(set(new Array(MAX_MERGED_UNITS).fill(0)))).toThrow(ValidationError);
    expect(() => versions.checkStorable(set('x'.repeat(MAX_MERGED_CHARS + 1)))).toThrow(ValidationError);
    expect(() => versions.checkStorable(set(new Array(MAX_MERGED_UNITS - 1).fill(0)))).not.toThrow();
  });

  it('takes a 1 MiB value of records', () => {
    const record = { id: 123456, name: 'someone@example', price: 12.5, tags: ['red', 'blue'] };
    const value = new Array<Json>(Math.floor((1 << 20) / (JSON.stringify(record).length + 1))).fill(record);
    expect(JSON.stringify(value).length).toBeLessThanOrEqual(1 << 20);
    expect(() => versions.put(versions.empty(), { coordinator: 'n', context: versions.read(versions.empty()).context, value, now: 0 })).not.toThrow();
  });
});
