// Framing: chunking below the data channel limit and reassembly.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reassembler, encodeFrames } from '../../src/adapters/webrtc/framing';

function roundTrip(data: string, chunk: number): string[] {
  const r = new Reassembler(1 << 30);
  const out: string[] = [];
  for (const f of encodeFrames(data, chunk)) {
    const res = r.push(f);
    if (res.kind === 'message') out.push(res.data);
  }
  return out;
}

describe('framing', () => {
  it('sends a small message as one frame', () => {
    expect(encodeFrames('hello', 16)).toEqual(['mhello']);
  });

  it('splits a large message into frames no longer than the chunk size plus its tag', () => {
    const frames = encodeFrames('a'.repeat(100), 16);
    expect(frames).toHaveLength(7);
    expect(frames.every((f) => f.length <= 17)).toBe(true);
    expect(frames.at(-1)?.[0]).toBe('e');
  });

  it('reassembles any string at any chunk size, never splitting a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 2, max: 40 }), (s, chunk) => {
        const splitsPair = encodeFrames(s, chunk).some((f) => {
          const last = f.charCodeAt(f.length - 1);
          return f.length > 1 && last >= 0xd800 && last <= 0xdbff;
        });
        const out = roundTrip(s, chunk);
        return !splitsPair && out.length === 1 && out[0] === s;
      }),
    );
  });

  it('drops a message that grows past the limit, then recovers', () => {
    const r = new Reassembler(10);
    expect(r.push('c12345')).toEqual({ kind: 'none' });
    expect(r.push('e123456')).toEqual({ kind: 'overflow' });
    expect(r.push('mok')).toEqual({ kind: 'message', data: 'ok' });
  });

  it('ignores frames with unknown tags', () => {
    expect(new Reassembler(10).push('zzz')).toEqual({ kind: 'none' });
  });
});
