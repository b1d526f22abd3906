// Admission at upgrade time: how many WebSocket connections one remote address, and everyone together,
// may hold open. Refusing before the handshake costs no ws state and frees the socket at once.

import type { Socket } from 'node:net';
import { addressKey } from './address';
import type { SignalingLimits } from './limits';
import type { Counters } from './stats';

export type Refusal = 429 | 503;

export class Admission {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly limits: Pick<SignalingLimits, 'maxConnsPerAddress' | 'maxConnections'>,
    private readonly counters: Counters,
  ) {}

  /** Counts `socket` against its address until it closes, or says which status refuses it. */
  admit(socket: Socket): Refusal | undefined {
    const key = addressKey(socket.remoteAddress);
    const mine = this.open.get(key) ?? 0;
    if (this.total >= this.limits.maxConnections) {
      this.counters.refused.total++;
      return 503;
    }
    if (mine >= this.limits.maxConnsPerAddress) {
      this.counters.refused.perAddress++;
      return 429;
    }
    this.open.set(key, mine + 1);
    this.total++;
    socket.once('close', () => this.release(key));
    return undefined;
  }

  private release(key: string): void {
    this.total--;
    const left = (this.open.get(key) ?? 1) - 1;
    if (left > 0) this.open.set(key, left);
    else this.open.delete(key);
  }
}

const REASONS: Record<Refusal, string> = {
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Answers the upgrade request with `status` and closes the socket once the answer is written. */
export function refuse(socket: Socket, status: Refusal, why: string): void {
  const body = `${why}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
