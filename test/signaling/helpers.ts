// Test helpers: a ws client that buffers frames so a test can await the next one matching a predicate,
// a harness that starts servers and tears them down, and ways to stall a reader or see a refused upgrade.

import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import type { ServerFrame } from '../../signaling/protocol';
import { startSignalingServer, type SignalingOptions, type SignalingServer } from '../../signaling/server';

export class TestClient {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  /** Set once the connection has closed. */
  code: number | undefined;
  /** The largest frame the server sent on this connection, in bytes. */
  largestFrame = 0;
  private waiters: Array<() => void> = [];

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + '/signal', options);
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code) => {
        this.code = code;
        this.wake();
        resolve(code);
      }),
    );
    this.ws.on('message', (raw) => {
      const text = raw.toString();
      this.largestFrame = Math.max(this.largestFrame, Buffer.byteLength(text));
      this.frames.push(JSON.parse(text) as ServerFrame);
      this.wake();
    });
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
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
    const found = await this.nextOrClose(pred, timeoutMs);
    if (found === 'closed') throw new Error(`closed with ${this.code} before a matching frame; buffered: ${JSON.stringify(this.frames).slice(0, 2000)}`);
    return found;
  }

  /** Like next(), but resolves with 'closed' once the connection closes without a match. */
  async nextOrClose(pred: (f: ServerFrame) => boolean, timeoutMs = 2000): Promise<ServerFrame | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (this.code !== undefined) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; buffered: ${JSON.stringify(this.frames).slice(0, 2000)}`);
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
  async sync(timeoutMs?: number): Promise<void> {
    const marker = `sync-${Math.random().toString(36).slice(2)}`;
    this.send({ type: marker });
    await this.next((f) => f.type === 'error' && f.code === 'unknown-type' && f.message.includes(marker), timeoutMs);
  }

  /** The close code, failing after a deadline instead of hanging the test. */
  closeCode(timeoutMs = 2000): Promise<number> {
    return within(this.closed, timeoutMs, 'the connection to close');
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }
}

/** Settles with `p`, or rejects once `ms` have passed. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Stops reading the client's socket, as a tab whose connection stalled would: the kernel buffers fill
 * and the server's writes to it back up. Returns a function that resumes reading.
 */
export function stallReading(c: TestClient): () => void {
  // ws exposes no public way to stop reading; its socket has been `_socket` since ws 1.
  const socket = (c.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  return () => socket.resume();
}

/** Tries an upgrade that the server should refuse; resolves with the HTTP status it answered. */
export function refusedStatus(url: string, options?: ClientOptions): Promise<number> {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/signal', options);
  return within(
    new Promise<number>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      });
      ws.on('error', (err) => reject(err));
      ws.on('open', () => {
        ws.terminate();
        reject(new Error('the upgrade was accepted'));
      });
    }),
    2000,
    'the upgrade to be refused',
  );
}

/** Servers and clients of one test file, torn down together; the server's internal errors are collected. */
export class Harness {
  readonly clients: TestClient[] = [];
  readonly servers: SignalingServer[] = [];
  readonly internalErrors: unknown[] = [];

  async start(limits: SignalingOptions['limits'] = {}, extra: Partial<SignalingOptions> = {}): Promise<SignalingServer> {
    const s = await startSignalingServer({
      port: 0,
      host: '127.0.0.1',
      limits,
      log: (m, e) => this.internalErrors.push([m, e]),
      ...extra,
    });
    this.servers.push(s);
    return s;
  }

  async open(s: SignalingServer, options?: ClientOptions): Promise<TestClient> {
    const c = await TestClient.open(s.url, options);
    this.clients.push(c);
    return c;
  }

  async join(s: SignalingServer, room: string, peer: string): Promise<TestClient> {
    const c = await TestClient.joined(s.url, room, peer);
    this.clients.push(c);
    return c;
  }

  terminateClients(): void {
    for (const c of this.clients.splice(0)) c.ws.terminate();
  }

  async closeServers(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
  }
}
