// Peer message dispatch: which part of the node handles which message of the peer protocol, and
// what it answers. The message is already decoded and validated (protocol/messages.ts).

import type { NodeId } from '../ports/transport';
import type { Counters } from './counters';
import type { Message } from './protocol/messages';
import type { Parts } from './parts';
import * as versions from './versions';

export interface DispatchContext {
  parts: Parts;
  counters: Counters;
  /** This node's membership digest: a handoff from a node that sees another ring triggers gossip. */
  digest: string;
  reply(msg: Message): void;
}

export async function dispatch(from: NodeId, msg: Message, ctx: DispatchContext): Promise<void> {
  const { local, puts, gossip, aae, reaper, requests } = ctx.parts;
  const reply = ctx.reply;
  switch (msg.type) {
    case 'put':
      try {
        await local.apply(msg.key, versions.fromJson(msg.set), msg.hintFor, from);
        return reply({ type: 'put-ack', id: msg.id, ok: true });
      } catch (err) {
        return reply({ type: 'put-ack', id: msg.id, ok: false, error: errorName(err) });
      }
    case 'get':
      return reply({ type: 'get-reply', id: msg.id, set: await local.viewJson(msg.key) });
    case 'fwd-put': {
      const answer = await puts.onForwarded(from, msg);
      return answer ? reply({ ...answer, id: msg.id }) : ctx.counters.drop('duplicate-fwd-put', from);
    }
    case 'handoff': {
      if (msg.digest !== undefined && msg.digest !== ctx.digest) gossip.push(from);
      // Every set parsed before any is applied: one that does not parse refuses the whole handoff
      // (unacked, the sender keeps it), never half of it with the other half's writes unobserved.
      const sets = msg.sets.map(({ key, set }) => ({ key, set: versions.fromJson(set) }));
      const refused = await local.applyAll(sets, from);
      for (let i = 0; i < refused; i++) ctx.counters.drop('handoff-set-refused', from);
      return reply({ type: 'handoff-ack', id: msg.id });
    }
    case 'gossip':
    case 'gossip-state':
      return gossip.handle(from, msg);
    case 'aae': {
      const dropped = aae.handle(from, msg);
      return dropped === undefined ? undefined : ctx.counters.drop(dropped, from);
    }
    case 'reaped':
      // None taken: not from a primary of these keys, or for tombstones not held here.
      if (reaper.noticed(from, msg.items) === 0) ctx.counters.drop('reaped-ignored', from);
      return;
    case 'ping':
    case 'pong':
      // Synchronously, from the message event: a hidden tab's timers are throttled, its events are not.
      return ctx.parts.liveness.handle(from, msg);
    default:
      if (!requests.reply(from, msg)) ctx.counters.drop('unmatched-reply', from);
  }
}

/** An error's name for a reply or a drop reason: short, and 'Error' for anything odd. */
export function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.length <= 40 ? name : 'Error';
}
