// The ring console's same-zone warning text (zone-warning.ts): how many partitions, which zones.
import { describe, expect, it } from 'vitest';
import { zoneWarningText } from '../../src/apps/ring/zone-warning';

describe('zoneWarningText', () => {
  it('says nothing when every partition spans zones', () => {
    expect(zoneWarningText([], 256)).toBeUndefined();
  });

  it('says how many partitions and which zone', () => {
    const all = zoneWarningText([{ zone: 'browser-abc', partitions: 256 }], 256);
    expect(all).toMatch(/^All 256 partitions keep every replica in one zone \(256 in zone browser-abc\)/);
    const some = zoneWarningText([{ zone: 'a', partitions: 40 }, { zone: 'b', partitions: 2 }], 256);
    expect(some).toMatch(/^42 of 256 partitions .*\(40 in zone a, 2 in zone b\)/);
  });

  it('names three zones at most', () => {
    const many = ['a', 'b', 'c', 'd', 'e'].map((zone) => ({ zone, partitions: 1 }));
    expect(zoneWarningText(many, 256)).toMatch(/1 in zone c, 2 more zones\)/);
  });
});
