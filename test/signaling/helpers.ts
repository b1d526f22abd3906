// Test helpers: a ws client that buffers frames so a test can await the next one matching a predicate.

import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import type { ServerFrame } from '../../signaling/protocol';

export class TestClient {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  private waiters: Array<() => void> = [];

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + '/signal', options);
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
    this.ws.on('message', (raw) => {
      this.frames.push(JSON.parse(raw.toString()) as ServerFrame);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(url: string, options?: ClientOptions): Promise<TestClient> {
    const c = new TestClient(url, options);
    await c.opened;
    return c;
  }

  /** Opens, joins and returns the welcome. */
  static async joined(url: string, room: string, peer: string): Promise<TestClient> {
    const c = await TestClient.open(url);
    c.send({ type: 'join', room, peer });
    await c.next((f) => f.type === 'welcome');
    return c;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Removes and returns the first buffered or future frame matching `pred`. */
  async next(pred: (f: ServerFrame) => boolean = () => true, timeoutMs = 2000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; buffered: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  error(code: string, timeoutMs?: number): Promise<ServerFrame> {
    return this.next((f) => f.type === 'error' && f.code === code, timeoutMs);
  }

  /** Round-trips a frame that always gets a reply, so every earlier reply has arrived by the time it resolves. */
  async sync(): Promise<void> {
    const marker = `sync-${Math.random().toString(36).slice(2)}`;
    this.send({ type: marker });
    await this.next((f) => f.type === 'error' && f.code === 'unknown-type' && f.message.includes(marker));
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }
}
