// Data-channel framing: splits a message into frames below the channel's size limit and
// reassembles them. A reliable ordered channel needs no sequence numbers: frames of one message
// are sent back to back, never interleaved with another message's.
//
// Frame = one tag character + payload:  'm' whole message | 'c' chunk, more follows | 'e' last chunk
//                                       'h' heartbeat ping, 'H' its pong, 'x' goodbye (no payload)
//                                       'v' I am hidden, 'V' I am visible again (no payload)

/** 16 Ki UTF-16 units: at most 48 KiB of UTF-8, far below Chromium's 256 KiB message limit. */
export const DEFAULT_CHUNK_CHARS = 16 * 1024;
export const PING_FRAME = 'h';
export const PONG_FRAME = 'H';
export const BYE_FRAME = 'x';
export const HIDDEN_FRAME = 'v';
export const VISIBLE_FRAME = 'V';

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

export type FrameResult = { kind: 'message'; data: string } | { kind: 'none' } | { kind: 'overflow' };

/** Reassembles frames of one link; `maxChars` bounds memory a misbehaving peer can pin. */
export class Reassembler {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly maxChars: number) {}

  push(frame: string): FrameResult {
    const tag = frame[0];
    const body = frame.slice(1);
    if (tag === 'm') return this.parts.length ? this.fail() : { kind: 'message', data: body };
    if (tag !== 'c' && tag !== 'e') return { kind: 'none' };
    this.size += body.length;
    if (this.size > this.maxChars) return this.fail();
    this.parts.push(body);
    if (tag === 'c') return { kind: 'none' };
    const data = this.parts.join('');
    this.reset();
    return { kind: 'message', data };
  }

  private fail(): FrameResult {
    this.reset();
    return { kind: 'overflow' };
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
