// Tests for core/requests.ts: the frames it sends are exactly encode({ ...msg, id }), although it
// serializes and checksums a message sent to several peers once and splices each id in.
import { describe, expect, it } from 'vitest';
import { checksum, decode, encode, type Message } from '../../src/core/protocol/messages';
import { Requests } from '../../src/core/requests';
import type { Clock } from '../../src/ports/clock';
import type { NodeId, Transport } from '../../src/ports/transport';

function recorder(): { transport: Transport; sent: Array<{ to: NodeId; data: string }> } {
  const sent: Array<{ to: NodeId; data: string }> = [];
  const transport = { self: 'me', send: (to: NodeId, data: string) => (sent.push({ to, data }), true) } as unknown as Transport;
  return { transport, sent };
}
const clock: Clock = { now: () => 0, setTimer: () => () => {} };

describe('Requests', () => {
  it('sends every copy of a shared message, and every later message, as encode would', () => {
    const { transport, sent } = recorder();
    const requests = new Requests(transport, clock, 1000, 7);
    const put = { type: 'put' as const, key: 'k\u00e9y "q"', set: { clock: [['a', 1, 0]], siblings: [{ dot: ['a', 1], ts: 0, value: { x: [1, 'é'] } }] } };
    for (const to of ['a', 'b', 'c']) requests.send(to, put, () => {}, () => {});
    requests.send('a', { ...put, hintFor: 'b' }, () => {}, () => {});
    requests.send('b', { type: 'get', key: 'k' }, () => {}, () => {});
    const expected: Message[] = [
      { ...put, id: 7 },
      { ...put, id: 8 },
      { ...put, id: 9 },
      { ...put, hintFor: 'b', id: 10 },
      { type: 'get', key: 'k', id: 11 },
    ];
    expect(sent.map((s) => s.data)).toEqual(expected.map(encode));
    for (const s of sent) expect(decode(s.data).ok).toBe(true);
  });

  it("checksums chain: a text's sum is its parts' sums, each continuing from the last", () => {
    const text = '{"type":"get","key":"ü-\ud83d\ude00"}';
    for (let cut = 0; cut <= text.length; cut++) {
      expect(checksum(text.slice(cut), checksum(text, undefined, 0, cut))).toBe(checksum(text));
    }
  });
});
