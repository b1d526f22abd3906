// The wire, pinned (core/protocol/messages.ts): a frame of every message type, with the checksum that
// tabs running earlier code computed for it. Tabs of different versions share a room, so a change
// here is a protocol change and must be made on purpose, never by a refactoring.

import { describe, expect, it } from 'vitest';
import { decode, encode, seal, type Message, type MessageType } from '../../src/core/protocol/messages';

const set = { clock: [['n1', 5, 0]], siblings: [{ dot: ['n1', 5], ts: 1700000000000, value: { qty: 2, note: 'é ✓ "q"' } }] };
const base = {
  seq: 3,
  count: 3,
  h1: 123456789,
  h2: 4000000000,
  ring: { q: 2, owners: ['n0', 'n1'] },
  nodes: [
    ['n0', 'member', 1],
    ['n1', 'member', 2],
    ['n2', 'left', 3],
  ],
} as const;
const digest = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Each message with the checksum (FNV-1a over its JSON) of its frame as computed before core/protocol/ existed. */
const PINNED: Array<[Message, string]> = [
  [{ type: 'put', id: 1, key: 'cart:alice', set, hintFor: 'n2' }, 'cffc99aa'],
  [{ type: 'put-ack', id: 1, ok: false, error: 'StorageFullError' }, 'e51f0163'],
  [{ type: 'get', id: 2, key: 'cart:alice' }, '9154ef1f'],
  [{ type: 'get-reply', id: 2, set: null }, 'e1be7c74'],
  [{ type: 'fwd-put', id: 3, key: 'cart:alice', value: [1, 'two', null], context: 'ctx', w: 'any', timeoutMs: 5000 }, '5988760f'],
  [{ type: 'fwd-put-reply', id: 3, ok: false, error: 'QuorumError', message: 'timed out', required: 2, answered: 1 }, '4bd67b72'],
  [{ type: 'handoff', id: 4, sets: [{ key: 'k', set }], digest: '3:1x2y:3z4w' }, '0ec23813'],
  [{ type: 'handoff-ack', id: 4 }, '7b86f632'],
  [{ type: 'reaped', id: 0, items: [{ key: 'k', digest }] }, '9f411725'],
  [{ type: 'gossip', id: 0, digest: '3:1x2y:3z4w', ack: true }, '220c1287'],
  [{ type: 'gossip-state', id: 0, changes: [{ node: 'n3', kind: 'join', seq: 4, by: 'n3' }], reply: true, base }, 'db80ff8e'],
  [
    { type: 'aae', id: 0, x: 17, p: 5, init: true, payload: { v: 1, r: 0, n: 0, of: 1, cfg: [4, 4], items: [{ d: 0, i: 0, k: [['k', digest]] }] } },
    'a2e6e742',
  ],
  [{ type: 'ping', id: 0, hidden: true }, '53e6a92e'],
  [{ type: 'pong', id: 0 }, 'ef240182'],
];

/** Every message type: the compiler keeps this list complete. */
const TYPES: Record<MessageType, true> = {
  put: true,
  'put-ack': true,
  get: true,
  'get-reply': true,
  'fwd-put': true,
  'fwd-put-reply': true,
  handoff: true,
  'handoff-ack': true,
  reaped: true,
  gossip: true,
  'gossip-state': true,
  aae: true,
  ping: true,
  pong: true,
};

describe('the peer protocol on the wire', () => {
  it('pins a frame of every message type', () => {
    expect([...new Set(PINNED.map(([m]) => m.type))].sort()).toEqual(Object.keys(TYPES).sort());
  });

  it.each(PINNED)('frames %j exactly as earlier tabs did: the checksum, then the JSON', (msg, sum) => {
    const frame = encode(msg);
    expect(frame).toBe(sum + JSON.stringify(msg));
    expect(seal(JSON.stringify(msg))).toBe(frame);
  });

  it.each(PINNED)('takes %j from an earlier tab back unchanged', (msg, sum) => {
    expect(decode(sum + JSON.stringify(msg))).toEqual({ ok: true, msg });
  });
});
