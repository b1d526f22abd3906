// The simulator's storage copies records with a hand-written JSON copy (for speed): it must give what
// structuredClone gave, for any JSON, including a "__proto__" key that JSON.parse makes an own key.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Json } from '../../src/ports/storage';
import { SimStorageBacking } from '../../src/sim/storage';

describe('sim storage copies', () => {
  it('round-trips any JSON value as structuredClone would, and never aliases it', async () => {
    const s = new SimStorageBacking().open();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const v = value as Json;
        await s.put({ key: 'k', partition: 0, value: v });
        const got = (await s.get('k'))?.value;
        expect(got).toStrictEqual(structuredClone(v));
        if (typeof v === 'object' && v !== null) expect(got).not.toBe(v);
      }),
    );
  });

  it('still refuses what structuredClone refuses, and copies what is not plain JSON as it did', async () => {
    const s = new SimStorageBacking().open();
    await expect(s.putMeta('f', { f: () => 1 } as unknown as Json)).rejects.toThrow();
    const when = new Date(5);
    await s.putMeta('d', { when } as unknown as Json);
    expect(await s.getMeta('d')).toEqual({ when: new Date(5) });
  });

  it('keeps "__proto__" as an ordinary key', async () => {
    const s = new SimStorageBacking().open();
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": [1]}') as Json;
    await s.putMeta('m', value);
    const got = (await s.getMeta('m')) as Record<string, unknown>;
    expect(Object.keys(got)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect((got as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(got)).toBe(JSON.stringify(value));
  });
});
