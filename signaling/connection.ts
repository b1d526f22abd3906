// One client connection: its socket, its rate limiter, the room it is in, and every frame sent to it.

import { WebSocket } from 'ws';
import type { ErrorCode, ServerFrame } from './protocol';
import { TokenBucket } from './ratelimit';

export class Conn {
  /** Cleared before each ping and set by the pong; still false at the next ping means the peer is gone. */
  alive = true;
  /** Set after a `rate-limited` reply so a flood gets one error, not one per dropped frame. */
  limited = false;
  room?: string;
  peer?: string;
  readonly bucket: TokenBucket;

  constructor(
    readonly ws: WebSocket,
    ratePerSec: number,
    burst: number,
    now: () => number,
  ) {
    this.bucket = new TokenBucket(ratePerSec, burst, now);
  }

  send(frame: ServerFrame): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  fail(code: ErrorCode, message: string, ref?: string): void {
    this.send(ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });
  }
}
