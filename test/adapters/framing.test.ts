// Framing: chunking below the data channel limit, batches of small messages, and reassembly.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reassembler, encodeFrames, packFrame, unpackBatch } from '../../src/adapters/webrtc/framing';

/** Frames a queue of messages the way the transport does: large ones chunked, small ones packed. */
function frameAll(messages: string[], chunk: number): string[] {
  const frames: string[] = [];
  let at = 0;
  while (at < messages.length) {
    const m = messages[at] as string;
    if (m.length > chunk) {
      frames.push(...encodeFrames(m, chunk));
      at++;
    } else {
      const { frame, next } = packFrame(messages, at, chunk);
      frames.push(frame);
      at = next;
    }
  }
  return frames;
}

/** Every message the frames carry, in order. */
function receive(frames: string[], r = new Reassembler(1 << 30)): string[] {
  const out: string[] = [];
  for (const f of frames) {
    const res = r.push(f);
    if (res.kind === 'message') out.push(res.data);
    if (res.kind === 'batch') out.push(...res.data);
  }
  return out;
}

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

  it('after an oversize drop, skips the rest of that message instead of passing its tail up as a whole one', () => {
    const r = new Reassembler(10);
    expect(r.push('c12345')).toEqual({ kind: 'none' });
    expect(r.push('c678901')).toEqual({ kind: 'overflow' });
    expect(r.push('cab')).toEqual({ kind: 'none' });
    expect(r.push('ecd')).toEqual({ kind: 'none' });
    // Resynchronised at the next frame boundary: the messages after it arrive whole.
    expect(r.push('mok')).toEqual({ kind: 'message', data: 'ok' });
    expect(r.push('cfo')).toEqual({ kind: 'none' });
    expect(r.push('eo')).toEqual({ kind: 'message', data: 'foo' });
  });

  it('drops and reports frames with an unknown tag or none, without disturbing the message around them', () => {
    const r = new Reassembler(10);
    expect(r.push('zzz')).toEqual({ kind: 'malformed' });
    expect(r.push('')).toEqual({ kind: 'malformed' });
    expect(r.push('cab')).toEqual({ kind: 'none' });
    expect(r.push('?')).toEqual({ kind: 'malformed' });
    expect(r.push('ec')).toEqual({ kind: 'message', data: 'abc' });
  });

  it('refuses a whole-message frame, or a batch holding a message, longer than the limit, then recovers', () => {
    const r = new Reassembler(5);
    expect(r.push('m123456')).toEqual({ kind: 'overflow' });
    expect(r.push('b1:a6:123456')).toEqual({ kind: 'overflow' });
    expect(r.push('m12345')).toEqual({ kind: 'message', data: '12345' });
    expect(r.push('b5:123455:12345')).toEqual({ kind: 'batch', data: ['12345', '12345'] });
  });

  it('passes whole-message frames up while skipping an oversize message; a lost last chunk costs the next chunked message, never a tail', () => {
    const r = new Reassembler(4);
    expect(r.push('c12345')).toEqual({ kind: 'overflow' });
    expect(r.push('mhi')).toEqual({ kind: 'message', data: 'hi' });
    expect(r.buffered).toBe(0);
    // Taken for the rest of the oversize message: dropped, not delivered as "abcd".
    expect(r.push('cab')).toEqual({ kind: 'none' });
    expect(r.push('ecd')).toEqual({ kind: 'none' });
    expect(r.push('cx')).toEqual({ kind: 'none' });
    expect(r.push('ey')).toEqual({ kind: 'message', data: 'xy' });
  });

  it('holds no more than the limit while collecting, and nothing while skipping', () => {
    const r = new Reassembler(6);
    r.push('c123');
    expect(r.buffered).toBe(3);
    r.push('c456');
    expect(r.buffered).toBe(6);
    expect(r.push('c7')).toEqual({ kind: 'overflow' });
    expect(r.buffered).toBe(0);
    r.push('c89');
    expect(r.buffered).toBe(0);
  });

  describe('batches', () => {
    it('sends a lone message as a plain frame, several as one batch', () => {
      expect(packFrame(['hello'], 0, 100)).toEqual({ frame: 'mhello', next: 1 });
      expect(packFrame(['ab', '', 'c:d'], 0, 100)).toEqual({ frame: 'b2:ab0:3:c:d', next: 3 });
      expect(receive(['b2:ab0:3:c:d'])).toEqual(['ab', '', 'c:d']);
    });

    it('fills a frame up to the chunk size and leaves the rest for the next', () => {
      // Each message costs 2 (prefix "3:") + 3 characters; a chunk of 16 takes three of them.
      const { frame, next } = packFrame(['aaa', 'bbb', 'ccc', 'ddd'], 0, 16);
      expect(frame).toBe('b3:aaa3:bbb3:ccc');
      expect(next).toBe(3);
      expect(packFrame(['aaa', 'bbb', 'ccc', 'ddd'], next, 16)).toEqual({ frame: 'mddd', next: 4 });
    });

    it('round-trips any queue of messages, large and small mixed, in order and within the frame size', () => {
      fc.assert(
        fc.property(
          fc.array(fc.string({ unit: 'binary', maxLength: 60 }), { maxLength: 30 }),
          fc.integer({ min: 2, max: 40 }),
          (messages, chunk) => {
            const frames = frameAll(messages, chunk);
            return frames.every((f) => f.length <= chunk + 1) && JSON.stringify(receive(frames)) === JSON.stringify(messages);
          },
        ),
      );
    });

    it('keeps the order of messages around a chunked one', () => {
      const big = 'x'.repeat(50);
      const frames = frameAll(['a', 'b', big, 'c', 'd'], 16);
      expect(frames.map((f) => f[0])).toEqual(['b', 'c', 'c', 'c', 'e', 'b']);
      expect(receive(frames)).toEqual(['a', 'b', big, 'c', 'd']);
    });

    it('drops a malformed batch whole, then recovers', () => {
      for (const bad of ['b', 'bx', 'b:', 'b5:abc', 'b01:a', 'b-1:', 'b3:abc4', 'b3:abcx:', 'b1234567890:a']) {
        const r = new Reassembler(1 << 20);
        expect(r.push(bad), bad).toEqual({ kind: 'malformed' });
        expect(r.push('mok')).toEqual({ kind: 'message', data: 'ok' });
      }
      expect(unpackBatch('1:a')).toEqual(['a']);
    });

    it('passes up a batch that cuts into a chunked message, and drops that message, reporting it at its last chunk', () => {
      const r = new Reassembler(1 << 20);
      expect(r.push('cabc')).toEqual({ kind: 'none' });
      expect(r.push('b1:a1:b')).toEqual({ kind: 'batch', data: ['a', 'b'] });
      expect(r.push('mok')).toEqual({ kind: 'message', data: 'ok' });
      expect(r.push('cdef')).toEqual({ kind: 'none' });
      expect(r.push('eghi')).toEqual({ kind: 'malformed' });
      expect(r.push('cx')).toEqual({ kind: 'none' });
      expect(r.push('ey')).toEqual({ kind: 'message', data: 'xy' });
    });
  });
});
