// Data-channel framing: splits a message into frames below the channel's size limit and
// reassembles them. A reliable ordered channel needs no sequence numbers: frames of one message
// are sent back to back, never interleaved with another message's.
//
// Frame = one tag character + payload:  'm' whole message | 'c' chunk, more follows | 'e' last chunk
//                                       'b' batch: several whole messages, each as <length>:<message>
//                                           (length in UTF-16 units, decimal, no leading zeros)
//                                       'x' goodbye (no payload)
//                                       'a' peer handshake of a protected room (secret/handshake.ts),
//                                           only before the link is up; the transport takes these
// Tags 'h' 'H' 'v' 'V' were heartbeat and visibility frames; heartbeats are peer messages now
// (core/liveness.ts), and any unknown tag is ignored.
//
// Why batches: a data channel send() is a native call costing far more than the bytes it moves, and
// a loaded node sends many small messages per task; packing them into one frame pays that once.

/** 16 Ki UTF-16 units: at most 48 KiB of UTF-8, far below Chromium's 256 KiB message limit. */
export const DEFAULT_CHUNK_CHARS = 16 * 1024;
export const BYE_FRAME = 'x';
export const AUTH_TAG = 'a';

export function encodeFrames(data: string, chunkChars = DEFAULT_CHUNK_CHARS): string[] {
  if (data.length <= chunkChars) return ['m' + data];
  const frames: string[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(start + chunkChars, data.length);
    // Never split a surrogate pair: each frame must be valid UTF-16 to survive UTF-8 transcoding.
    if (end < data.length && isHighSurrogate(data.charCodeAt(end - 1))) end--;
    frames.push((end === data.length ? 'e' : 'c') + data.slice(start, end));
    start = end;
  }
  return frames;
}

/**
 * Packs whole messages from `messages[from]` on into one frame of at most `maxChars` + 1 characters:
 * 'm' for a lone message, 'b' for several. `messages[from]` must fit in one frame (at most `maxChars`);
 * larger ones go through encodeFrames. Returns the frame and the index of the first message left out.
 */
export function packFrame(messages: readonly string[], from: number, maxChars = DEFAULT_CHUNK_CHARS): { frame: string; next: number } {
  const first = messages[from] as string;
  let size = 1 + lengthPrefix(first) + first.length;
  let next = from + 1;
  while (next < messages.length) {
    const m = messages[next] as string;
    const grown = size + lengthPrefix(m) + m.length;
    if (grown > maxChars + 1) break;
    size = grown;
    next++;
  }
  if (next === from + 1) return { frame: 'm' + first, next };
  let frame = 'b';
  for (let i = from; i < next; i++) frame += `${(messages[i] as string).length}:${messages[i] as string}`;
  return { frame, next };
}

function lengthPrefix(m: string): number {
  return String(m.length).length + 1;
}

/** The messages of a batch frame's payload, or undefined if it is malformed (it is then dropped whole). */
export function unpackBatch(body: string): string[] | undefined {
  const out: string[] = [];
  let at = 0;
  while (at < body.length) {
    const len = readLength(body, at);
    if (len === undefined) return undefined;
    const start = at + String(len).length + 1;
    const end = start + len;
    if (end > body.length) return undefined;
    out.push(body.slice(start, end));
    at = end;
  }
  return out.length > 0 ? out : undefined;
}

/** The decimal length at `at`, ended by ':'; undefined unless 1–9 digits without a leading zero. */
function readLength(body: string, at: number): number | undefined {
  let len = 0;
  let i = at;
  for (; i < body.length && i - at < 10; i++) {
    const c = body.charCodeAt(i);
    if (c === 58 /* : */) break;
    if (c < 48 || c > 57 || (i > at && len === 0)) return undefined;
    len = len * 10 + (c - 48);
  }
  return i > at && i - at <= 9 && body.charCodeAt(i) === 58 ? len : undefined;
}

export type FrameResult =
  | { kind: 'message'; data: string }
  | { kind: 'batch'; data: string[] }
  | { kind: 'none' }
  | { kind: 'overflow' }
  | { kind: 'malformed' };

type ReassemblyState = 'idle' | 'collecting' | 'oversize' | 'cut';

/**
 * Reassembles frames of one link; `maxChars` bounds memory a misbehaving peer can pin, and no message
 * longer than it is passed up. A bad frame never throws; each dropped message or frame is reported
 * once, for the transport to count: 'overflow' for a message longer than maxChars, 'malformed' for a
 * batch that does not parse, an unknown tag, an empty frame, or a chunked message cut into by a
 * whole-message frame (reported at its last chunk).
 *
 * Chunks carry no length or sequence number (the channel is reliable and ordered), so a message's
 * first chunk looks like any other. Hence the rule after a chunked message is given up: the rest of
 * its chunks are dropped up to its last, and only then does the next chunk start a message, so no
 * tail is ever taken for a whole message.
 */
export class Reassembler {
  private parts: string[] = [];
  private size = 0;
  /**
   * 'collecting': between the chunks of a message. 'oversize' / 'cut': the same, but that message
   * outgrew maxChars, or a whole-message frame came between its chunks; its chunks are being dropped.
   */
  private state: ReassemblyState = 'idle';

  constructor(private readonly maxChars: number) {}

  /** Characters held for the message being reassembled: never more than maxChars. */
  get buffered(): number {
    return this.size;
  }

  push(frame: string): FrameResult {
    const tag = frame[0];
    if (tag === 'c' || tag === 'e') return this.chunk(frame, tag === 'e');
    if (tag !== 'm' && tag !== 'b') return { kind: 'malformed' };
    // The sender writes a message's chunks back to back, so one cut into was broken off (or this
    // frame is bogus): it cannot be completed. This frame is whole, though, and goes up as it is.
    if (this.state === 'collecting') this.drop('cut');
    if (tag === 'm') return frame.length - 1 > this.maxChars ? { kind: 'overflow' } : { kind: 'message', data: frame.slice(1) };
    const data = unpackBatch(frame.slice(1));
    if (!data) return { kind: 'malformed' };
    return data.some((m) => m.length > this.maxChars) ? { kind: 'overflow' } : { kind: 'batch', data };
  }

  private chunk(frame: string, last: boolean): FrameResult {
    if (this.state === 'oversize' || this.state === 'cut') {
      const cut = this.state === 'cut';
      if (last) this.state = 'idle';
      // An oversize message was reported when it overflowed; a cut one is reported once, here.
      return last && cut ? { kind: 'malformed' } : { kind: 'none' };
    }
    const length = frame.length - 1;
    if (this.size + length > this.maxChars) {
      this.drop(last ? 'idle' : 'oversize');
      return { kind: 'overflow' };
    }
    // Empty chunks add nothing; not keeping them holds the part count to the character count.
    if (length > 0) this.parts.push(frame.slice(1));
    this.size += length;
    if (!last) {
      this.state = 'collecting';
      return { kind: 'none' };
    }
    const data = this.parts.join('');
    this.drop('idle');
    return { kind: 'message', data };
  }

  /** Lets go of the parts held, moving to `next`. */
  private drop(next: ReassemblyState): void {
    this.parts = [];
    this.size = 0;
    this.state = next;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
