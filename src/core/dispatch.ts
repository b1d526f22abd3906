// Peer message dispatch: which part of the node handles which message of the peer protocol, and
// what it answers. The message is already decoded and validated (protocol/messages.ts).
//
// The context is the node's, made once: every peer message passes here, so a per-message context
// object with a reply closure (and the membership digest computed for each) was a visible share of
// the simulator's time, though only a handoff reads the digest.

import type { NodeId } from '../ports/transport';
import type { Counters } from './counters';
import type { Message } from './protocol/messages';
import type { Parts } from './parts';
import * as versions from './versions';

export interface DispatchContext {
  parts: Parts;
  counters: Counters;
  /** This node's membership digest (a getter: read only for a handoff, from a node that may see another ring). */
  readonly digest: string;
  reply(to: NodeId, msg: Message): void;
}

type Served = Extract<Message, { type: 'put' | 'get' | 'fwd-put' | 'handoff' }>;

/**
 * Handles one peer message; never throws (a handler's failure is a drop). Only the requests that
 * wait on storage run as async functions: replies, heartbeats, gossip and anti-entropy, most of the
 * traffic, are handled synchronously (as they were inside the async function), with no promise each.
 */
export function dispatch(from: NodeId, msg: Message, ctx: DispatchContext): void {
  const { gossip, aae, reaper, requests } = ctx.parts;
  try {
    switch (msg.type) {
      case 'put':
      case 'get':
      case 'fwd-put':
      case 'handoff':
        void serve(from, msg, ctx);
        return;
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
  } catch (err) {
    ctx.counters.drop(`handler-${errorName(err)}`, from);
  }
}

/** A request that reads or writes storage, answered once that is done. */
async function serve(from: NodeId, msg: Served, ctx: DispatchContext): Promise<void> {
  const { local, puts, gossip } = ctx.parts;
  const { phases } = ctx.counters;
  const started = phases.start();
  try {
    switch (msg.type) {
      case 'put':
        try {
          await local.apply(msg.key, versions.fromJson(msg.set), msg.hintFor, from);
          phases.since('serve.put', started);
          return ctx.reply(from, { type: 'put-ack', id: msg.id, ok: true });
        } catch (err) {
          return ctx.reply(from, { type: 'put-ack', id: msg.id, ok: false, error: errorName(err) });
        }
      case 'get': {
        const set = await local.viewJson(msg.key);
        phases.since('serve.get', started);
        return ctx.reply(from, { type: 'get-reply', id: msg.id, set });
      }
      case 'fwd-put': {
        const answer = await puts.onForwarded(from, msg);
        return answer ? ctx.reply(from, { ...answer, id: msg.id }) : ctx.counters.drop('duplicate-fwd-put', from);
      }
      case 'handoff': {
        if (msg.digest !== undefined && msg.digest !== ctx.digest) gossip.push(from);
        // Every set parsed before any is applied: one that does not parse refuses the whole handoff
        // (unacked, the sender keeps it), never half of it with the other half's writes unobserved.
        const sets = msg.sets.map(({ key, set }) => ({ key, set: versions.fromJson(set) }));
        const refused = await local.applyAll(sets, from);
        for (let i = 0; i < refused.length; i++) ctx.counters.drop('handoff-set-refused', from);
        // Named in the ack, so the sender stops sending them (refusals.ts) instead of retrying for ever.
        return ctx.reply(from, refused.length > 0 ? { type: 'handoff-ack', id: msg.id, refused } : { type: 'handoff-ack', id: msg.id });
      }
    }
  } catch (err) {
    ctx.counters.drop(`handler-${errorName(err)}`, from);
  }
}

/** An error's name for a reply or a drop reason: short, and 'Error' for anything odd. */
export function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name.length <= 40 ? name : 'Error';
}
