// The ring console's bad-frames tracker: a member is flagged while its count of malformed messages
// keeps rising, and no longer once it has not risen for RISING_MS.
import { describe, expect, it } from 'vitest';
import { BadFrames, RISING_MS } from '../../src/apps/ring/bad-frames';

describe('BadFrames', () => {
  it('flags a member whose count rose lately, with the count, and only that member', () => {
    const t = new BadFrames();
    t.observe({ bad: 3, quiet: 0 }, 1000);
    expect(t.rising('bad', 1000)).toBe(3);
    expect(t.rising('quiet', 1000)).toBeUndefined();
    expect(t.rising('never-seen', 1000)).toBeUndefined();
    t.observe({ bad: 7, quiet: 0 }, 2000);
    expect(t.rising('bad', 2000)).toBe(7);
  });

  it('drops the flag RISING_MS after the last rise, and raises it again on the next', () => {
    const t = new BadFrames();
    t.observe({ bad: 5 }, 0);
    t.observe({ bad: 5 }, RISING_MS - 1);
    expect(t.rising('bad', RISING_MS - 1)).toBe(5);
    t.observe({ bad: 5 }, RISING_MS);
    expect(t.rising('bad', RISING_MS)).toBeUndefined();
    t.observe({ bad: 6 }, RISING_MS + 500);
    expect(t.rising('bad', RISING_MS + 500)).toBe(6);
  });

  it('takes stats without counts, or with a member called __proto__', () => {
    const t = new BadFrames();
    t.observe(undefined, 0);
    const byPeer = Object.assign(Object.create(null) as Record<string, number>, { ['__proto__']: 2 });
    t.observe(byPeer, 0);
    expect(t.rising('__proto__', 0)).toBe(2);
  });
});
