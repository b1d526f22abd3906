// What signaling processes read from Redis, validated like any input from the network: presence
// notices, signals relayed from another process, and the join script's reply. Anything malformed is
// undefined (the caller counts and drops it), never a throw.

import { nestsDeeper } from './frames';
import { ID_PATTERN, MAX_DATA_DEPTH } from './protocol';

export const PROC_PATTERN = /^[0-9a-f]{32}$/;

export interface Presence {
  t: 'join' | 'leave';
  peer: string;
  proc: string;
  seq: number;
}

export interface RemoteSignal {
  t: 'signal';
  room: string;
  from: string;
  to: string;
  data: unknown;
}

export type JoinReply = { result: 'ok'; seq: number; members: Map<string, string> } | { result: 'reaped' | 'id-taken' | 'room-full' };

const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
const isId = (x: unknown): x is string => typeof x === 'string' && ID_PATTERN.test(x);

function object(text: unknown, maxBytes: number): Record<string, unknown> | undefined {
  if (typeof text !== 'string' || text.length > maxBytes) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function parsePresence(text: unknown): Presence | undefined {
  const o = object(text, 512);
  if (!o || (o.t !== 'join' && o.t !== 'leave') || !isId(o.peer) || typeof o.proc !== 'string' || !PROC_PATTERN.test(o.proc) || !isSeq(o.seq)) return undefined;
  return { t: o.t, peer: o.peer, proc: o.proc, seq: o.seq };
}

/** A signal for a peer on this process; `maxBytes` bounds the message before it is parsed. */
export function parseRemoteSignal(text: unknown, maxBytes: number): RemoteSignal | undefined {
  const o = object(text, maxBytes);
  if (!o || o.t !== 'signal' || !isId(o.room) || !isId(o.from) || !isId(o.to) || !('data' in o)) return undefined;
  if (nestsDeeper(o.data, MAX_DATA_DEPTH)) return undefined;
  return { t: 'signal', room: o.room, from: o.from, to: o.to, data: o.data };
}

/** The JOIN script's reply (redis-scripts.ts); `maxPeers` bounds the member list it may carry. */
export function parseJoinReply(reply: unknown, maxPeers: number): JoinReply | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [code, seq, flat] = reply as unknown[];
  if (code === 'reaped' || code === 'id-taken' || code === 'room-full') return { result: code };
  if (code !== 'ok' || !isSeq(seq) || !Array.isArray(flat) || flat.length % 2 !== 0 || flat.length > 2 * (maxPeers + 1)) return undefined;
  const members = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) {
    const [peer, proc] = [flat[i], flat[i + 1]];
    if (!isId(peer) || typeof proc !== 'string' || !PROC_PATTERN.test(proc)) return undefined;
    members.set(peer, proc);
  }
  return { result: 'ok', seq, members };
}
