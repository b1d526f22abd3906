// The opaque client context (paper §4.4): encode/decode round trip, strict rejection of garbage,
// exceptions, and what a replica may adopt from a context.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '../../src/core/errors';
import * as vc from '../../src/core/vclock';
import {
  adoptable,
  contextOf,
  coversContext,
  decodeContext,
  emptyContext,
  encodeContext,
  MAX_CONTEXT_CHARS,
} from '../../src/core/context';
import type { Context } from '../../src/core/context';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

const arbNode = fc.oneof(fc.constantFrom('a', 'b', 'node-7', 'ünï', '"q"'), fc.string({ minLength: 1, maxLength: 12 }));
const arbClock = fc
  .uniqueArray(fc.record({ node: arbNode, counter: fc.integer({ min: 1, max: 2 ** 40 }), ts: fc.oneof(fc.nat(), fc.double({ min: 0, max: 2e12, noNaN: true })) }), {
    selector: (e) => e.node,
    maxLength: 12,
  })
  .map((es) => vc.fromEntries(es));
const arbContext: fc.Arbitrary<Context> = arbClock.chain((clock) =>
  fc
    .subarray(clock.map((e) => ({ node: e.node, counter: e.counter })))
    .map((except) => ({ clock, except: except.sort(vc.compareDots) })),
);

describe('context: encoding', () => {
  it('round-trips any context, URL-safe, and matches standard base64url', () => {
    fc.assert(
      fc.property(arbContext, (ctx) => {
        const s = encodeContext(ctx);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(decodeContext(s)).toEqual(ctx);
        if (ctx.clock.length > 0) {
          const json = [vc.toJson(ctx.clock), ctx.except.map((d) => [d.node, d.counter])];
          expect(s).toBe(b64(JSON.stringify(json)));
        }
      }),
    );
  });

  it('empty string and undefined are the empty context; the empty context encodes to ""', () => {
    expect(decodeContext('')).toEqual(emptyContext());
    expect(decodeContext(undefined)).toEqual(emptyContext());
    expect(encodeContext(emptyContext())).toBe('');
  });

  it('is compact: a 10-entry clock stays well under 1 KiB', () => {
    const clock = vc.fromEntries([...Array(10).keys()].map((i) => ({ node: `node-${i}-abcdefgh`, counter: 1000 + i, ts: 1_700_000_000_000 + i })));
    expect(encodeContext(contextOf(clock)).length).toBeLessThan(1024);
  });

  it.each(['x', 'ü'])('round-trips a context longer than the fast paths handle in one call (8 Ki characters), node ids with %s', (ch) => {
    const clock = vc.fromEntries([...Array(250).keys()].map((i) => ({ node: `node-${i}-${ch}`, counter: 1 + i, ts: 1_700_000_000_000 + i })));
    const s = encodeContext(contextOf(clock));
    expect(s.length).toBeGreaterThan(8192);
    expect(s).toBe(b64(JSON.stringify([vc.toJson(clock), []])));
    expect(decodeContext(s)).toEqual(contextOf(clock));
  });

  const garbage: Array<[string, string]> = [
    ['characters outside base64url', 'abc+/w=='],
    ['padding', `${b64('[[],[]]')}==`],
    ['an impossible length', 'abcde'],
    ['non-zero trailing bits', 'W2'],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe]).toString('base64url')],
    ['not JSON', b64('{oops')],
    ['a bare clock (wrong shape)', b64('[["a",1,0]]')],
    ['an object', b64('{"clock":[]}')],
    ['a negative counter', b64('[[["a",-1,0]],[]]')],
    ['a non-integer counter', b64('[[["a",1.5,0]],[]]')],
    ['a counter beyond 2^53', b64('[[["a",1e300,0]],[]]')],
    ['an empty node id', b64('[[["",1,0]],[]]')],
    ['a duplicate node', b64('[[["a",1,0],["a",2,0]],[]]')],
    ['a negative ts', b64('[[["a",1,-5]],[]]')],
    ['an exception outside the clock', b64('[[["a",1,0]],[["a",2]]]')],
    ['a duplicate exception', b64('[[["a",2,0]],[["a",1],["a",1]]]')],
    ['a malformed exception', b64('[[["a",2,0]],[["a"]]]')],
  ];
  it.each(garbage)('rejects %s with ValidationError', (_, s) => {
    expect(() => decodeContext(s)).toThrow(ValidationError);
  });

  it('rejects anything longer than 16 KiB before decoding it', () => {
    expect(() => decodeContext('A'.repeat(MAX_CONTEXT_CHARS + 4))).toThrow(/longer than/);
  });

  it('never throws anything but ValidationError on random strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.string({ unit: fc.constantFrom(...'AZaz09-_'.split('')) })), (s) => {
        try {
          decodeContext(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ValidationError);
        }
      }),
    );
  });
});

describe('context: exceptions', () => {
  const clock = vc.fromEntries([
    { node: 'x', counter: 4, ts: 0 },
    { node: 'y', counter: 2, ts: 0 },
  ]);
  const ctx: Context = { clock, except: [{ node: 'x', counter: 3 }] };

  it('covers the clock minus the exceptions', () => {
    expect(coversContext(ctx, { node: 'x', counter: 4 })).toBe(true);
    expect(coversContext(ctx, { node: 'x', counter: 3 })).toBe(false);
    expect(coversContext(ctx, { node: 'x', counter: 2 })).toBe(true);
    expect(coversContext(ctx, { node: 'x', counter: 5 })).toBe(false);
  });

  it('a replica adopts entries only below an exception it has not seen itself', () => {
    expect(adoptable(ctx, vc.empty())).toEqual(vc.fromEntries([{ node: 'x', counter: 2, ts: 0 }, { node: 'y', counter: 2, ts: 0 }]));
    const knowsX3 = vc.fromEntries([{ node: 'x', counter: 3, ts: 0 }]);
    expect(adoptable(ctx, knowsX3)).toEqual(clock);
    expect(adoptable({ clock, except: [{ node: 'y', counter: 1 }] }, vc.empty())).toEqual(vc.fromEntries([{ node: 'x', counter: 4, ts: 0 }]));
  });
});
