// TokenBucket with an injected clock.

import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../signaling/ratelimit';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate up to the burst', () => {
    let t = 1000;
    const b = new TokenBucket(10, 3, () => t);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    t += 100; // one token
    expect([b.take(), b.take()]).toEqual([true, false]);
    t += 60_000; // capped at burst
    expect(Array.from({ length: 5 }, () => b.take())).toEqual([true, true, true, false, false]);
  });

  it('accumulates fractional refill and ignores a clock that steps back', () => {
    let t = 0;
    const b = new TokenBucket(10, 1, () => t);
    expect(b.take()).toBe(true);
    t += 50;
    expect(b.take()).toBe(false);
    t += 50;
    expect(b.take()).toBe(true);
    t -= 10_000;
    expect(b.take()).toBe(false);
  });
});
