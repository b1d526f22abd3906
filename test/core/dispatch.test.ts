// Tests for core/dispatch.ts: a peer message never throws out of dispatch, a failing handler is
// counted as a drop whether it fails at once or after waiting on storage, and replies are matched
// synchronously, within the message event, as they were when every message went through a promise.
import { describe, expect, it, vi } from 'vitest';
import { Phases } from '../../src/core/phases';
import { dispatch, type DispatchContext } from '../../src/core/dispatch';
import type { Message } from '../../src/core/protocol/messages';
import type { Parts } from '../../src/core/parts';

function context(parts: Partial<Record<keyof Parts, unknown>>) {
  const drops: string[] = [];
  const replies: Message[] = [];
  const ctx: DispatchContext = {
    parts: parts as unknown as Parts,
    counters: { drop: (reason: string) => void drops.push(reason), phases: new Phases(() => 0) } as unknown as DispatchContext['counters'],
    digest: 'd',
    reply: (_to, m) => void replies.push(m),
  };
  return { ctx, drops, replies };
}

describe('dispatch', () => {
  it('matches a reply before it returns', () => {
    const reply = vi.fn(() => true);
    const { ctx, drops } = context({ requests: { reply } });
    dispatch('p', { type: 'put-ack', id: 3, ok: true }, ctx);
    expect(reply).toHaveBeenCalledWith('p', { type: 'put-ack', id: 3, ok: true });
    expect(drops).toEqual([]);
  });

  it('counts a handler that throws at once as a drop, and does not throw', () => {
    const { ctx, drops } = context({ gossip: { handle: () => { throw new RangeError('bad'); } } });
    expect(() => dispatch('p', { type: 'gossip', id: 0, digest: 'x' } as Message, ctx)).not.toThrow();
    expect(drops).toEqual(['handler-RangeError']);
  });

  it('answers a put whose set does not parse with a failed ack, and counts a failing get as a drop', async () => {
    const viewJson = vi.fn(() => Promise.reject(new TypeError('disk')));
    const { ctx, drops, replies } = context({ local: { apply: vi.fn(), viewJson } });
    dispatch('p', { type: 'put', id: 1, key: 'k', set: { clock: 'no' } }, ctx);
    dispatch('p', { type: 'get', id: 2, key: 'k' }, ctx);
    await vi.waitFor(() => expect(drops).toEqual(['handler-TypeError']));
    expect(replies).toEqual([{ type: 'put-ack', id: 1, ok: false, error: 'ValidationError' }]);
  });
});
