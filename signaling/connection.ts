// One client connection: its socket, its rate limiter, the room it is in, and every frame sent to it,
// which is where what the server buffers for a reader is bounded.

import { WebSocket } from 'ws';
import type { SignalingLimits } from './limits';
import type { ErrorCode, ServerFrame } from './protocol';
import { TokenBucket } from './ratelimit';

/** A relay to a reader past the high-water mark is `dropped`; any frame to one past the hard cap `evicted` it. */
export type Delivery = 'sent' | 'dropped' | 'evicted' | 'gone';

type Buffering = Pick<SignalingLimits, 'relayHighWater' | 'maxBuffered'>;

export class Conn {
  /** Cleared before each ping and set by the pong; still false at the next ping means the peer is gone. */
  alive = true;
  /** Set after a `rate-limited` reply so a flood gets one error, not one per dropped frame. */
  limited = false;
  /** Addressees this sender was told are slow; cleared by the next relay that reaches one. */
  readonly toldSlow = new WeakSet<Conn>();
  room?: string;
  peer?: string;
  /** Shared rooms (cluster.ts): a join is on its way to Redis; room notices up to `seq` are in its welcome. */
  joining = false;
  seq = 0;
  /** Runs while the connection is outside a room; see Hub.armJoinTimer. */
  joinTimer?: ReturnType<typeof setTimeout>;

  constructor(
    readonly ws: WebSocket,
    readonly bucket: TokenBucket,
    private readonly buffering: Buffering,
    /** Called when a frame is owed to this reader past the hard cap; must close it. */
    private readonly evict: (c: Conn) => void,
  ) {}

  send(frame: ServerFrame): Delivery {
    return this.sendText(JSON.stringify(frame), false);
  }

  /**
   * `text` is a serialised ServerFrame; `relay` marks one that may be dropped. The reader's socket is
   * checked before each write: what a client does not read piles up in this process, so past the
   * high-water mark relays (which a sender can retry) are dropped, and past the hard cap the reader is
   * cut loose, since even join/leave notices would otherwise grow without end.
   */
  sendText(text: string, relay: boolean): Delivery {
    if (this.ws.readyState !== WebSocket.OPEN) return 'gone';
    const waiting = this.ws.bufferedAmount;
    if (waiting > this.buffering.maxBuffered) {
      this.evict(this);
      return 'evicted';
    }
    if (relay && waiting > this.buffering.relayHighWater) return 'dropped';
    this.ws.send(text);
    return 'sent';
  }

  fail(code: ErrorCode, message: string, ref?: string): void {
    this.send(ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });
  }
}
