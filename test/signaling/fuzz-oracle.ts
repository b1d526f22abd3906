// The fuzzer's model of the server as one client sees it: for each frame sent, the replies the documented
// protocol allows, and a matcher that walks the replies received against the frames sent, in order.

import { ID_PATTERN, MAX_DATA_DEPTH, RELAY_ENVELOPE, type ServerFrame } from '../../signaling/protocol';
import type { FuzzFrame } from './fuzz-frames';

export type Outcome =
  /** Exactly one reply: `welcome` or an error code. */
  | { kind: 'one'; accept: readonly string[] }
  /** No reply, or one of these. */
  | { kind: 'maybe'; accept: readonly string[] }
  | { kind: 'none' }
  /** The server closes the connection with this code. */
  | { kind: 'close'; code: number };

const one = (...accept: string[]): Outcome => ({ kind: 'one', accept });
const utf8 = new TextDecoder('utf-8', { fatal: true });
const isId = (v: unknown) => typeof v === 'string' && ID_PATTERN.test(v);

/** Whether `v` nests arrays and objects more than `limit` deep; recurses at most limit + 1 levels. */
function deeper(v: unknown, limit: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  return limit === 0 || Object.values(v).some((child) => deeper(child, limit - 1));
}

/** Frames the server answers by closing: over the size limit (1009) or text that is not UTF-8 (1007). */
export function closesWith(frame: FuzzFrame, maxPayload: number): number | undefined {
  const bytes = typeof frame.payload === 'string' ? Buffer.from(frame.payload) : frame.payload;
  if (bytes.length > maxPayload) return 1009;
  if (frame.binary) return undefined;
  try {
    utf8.decode(bytes);
    return undefined;
  } catch {
    return 1007;
  }
}

/** Frames the server sends on its own, not in reply to this client. */
export function unsolicited(f: ServerFrame): boolean {
  return f.type === 'peer-joined' || f.type === 'peer-left' || f.type === 'signal';
}

export class ClientModel {
  joined = false;
  /** The id this client holds in its room, from the welcome. */
  private peer = '';

  constructor(private readonly maxPayload: number) {}

  /** The allowed outcome of `frame` in the current state; a leave takes effect here, a join on its welcome. */
  expect(frame: FuzzFrame): Outcome {
    const code = closesWith(frame, this.maxPayload);
    if (code !== undefined) return { kind: 'close', code };
    if (frame.binary) return one('bad-frame');
    let msg: unknown;
    try {
      msg = JSON.parse(Buffer.from(frame.payload).toString());
    } catch {
      return one('bad-json');
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return one('bad-frame');
    return this.expectObject(msg as Record<string, unknown>);
  }

  private expectObject(f: Record<string, unknown>): Outcome {
    if (typeof f.type !== 'string') return one('bad-frame');
    switch (f.type) {
      case 'join':
        if (!isId(f.room) || !isId(f.peer)) return one('bad-frame');
        return this.joined ? one('already-joined') : one('welcome', 'id-taken', 'room-full');
      case 'signal':
        if (!isId(f.to) || !Object.hasOwn(f, 'data') || deeper(f.data, MAX_DATA_DEPTH)) return one('bad-frame');
        if (!this.joined) return one('not-joined');
        if (this.relayBytes(f.data) > this.maxPayload + RELAY_ENVELOPE) return one('bad-frame');
        return { kind: 'maybe', accept: ['no-such-peer', 'peer-slow'] };
      case 'leave':
        if (!this.joined) return one('not-joined');
        this.joined = false;
        return { kind: 'none' };
      default:
        return one('unknown-type');
    }
  }

  replied(r: ServerFrame): void {
    if (r.type !== 'welcome') return;
    this.joined = true;
    this.peer = r.peer;
  }

  private relayBytes(data: unknown): number {
    return Buffer.byteLength(JSON.stringify({ type: 'signal', from: this.peer, data }));
  }
}

const label = (r: ServerFrame) => (r.type === 'error' ? r.code : r.type);

function wellFormed(r: ServerFrame): boolean {
  if (r.type !== 'error') return r.type === 'welcome';
  return typeof r.message === 'string' && (r.ref === undefined || typeof r.ref === 'string');
}

/**
 * Walks `replies` (this connection's, unsolicited ones removed) against `sent`, in order. `closed` is the
 * close code if the connection closed. Returns a description of the first mismatch, or undefined.
 * A join timeout (4408) may cut a session short while the client is outside a room: later frames then
 * go unanswered.
 */
export function mismatch(model: ClientModel, sent: FuzzFrame[], replies: ServerFrame[], closed: number | undefined): string | undefined {
  let i = 0;
  let outside = !model.joined;
  for (const [n, frame] of sent.entries()) {
    const out = model.expect(frame);
    outside ||= !model.joined;
    const r = replies[i];
    const where = `frame ${n} (${frame.what}: ${excerpt(frame)})`;
    if (r && !wellFormed(r)) return `${where}: malformed reply ${JSON.stringify(r).slice(0, 200)}`;
    if (out.kind === 'close') {
      if (closed !== out.code) return `${where}: expected close ${out.code}, got ${closed ?? 'no close'}`;
      return r ? `${where}: reply ${label(r)} after the frame that closes` : undefined;
    }
    if (r === undefined) {
      if (closed === 4408 && outside) return undefined;
      if (out.kind === 'one') return `${where}: expected one of ${out.accept.join('|')}, got nothing (closed: ${closed})`;
      continue;
    }
    if (out.kind === 'one') {
      if (!out.accept.includes(label(r))) return `${where}: expected one of ${out.accept.join('|')}, got ${label(r)}`;
      model.replied(r);
      i++;
    } else if (out.kind === 'maybe' && out.accept.includes(label(r))) i++;
  }
  if (i < replies.length) return `unexpected reply ${JSON.stringify(replies[i]).slice(0, 200)} after ${sent.length} frames`;
  if (closed !== undefined && !(closed === 4408 && outside)) return `closed with ${closed} for no documented reason`;
  return undefined;
}

function excerpt(frame: FuzzFrame): string {
  const text = typeof frame.payload === 'string' ? frame.payload : `<${frame.payload.length} bytes ${frame.payload.subarray(0, 16).toString('hex')}>`;
  return text.length > 120 ? `${text.slice(0, 120)}... (${text.length} chars)` : text;
}
