// Signaling client: joins a room on the signaling server, tracks who is present, relays WebRTC
// signals. Reconnects with backoff if the server goes away; established data channels don't need it.

import { Listeners } from '../../ports/emitter';
import type { NodeId, Unsubscribe } from '../../ports/transport';
import type { ClientFrame, ServerFrame } from '../../../signaling/protocol';

/** The subset of the WebSocket API used here; the browser's and the `ws` package's both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export interface SignalingClientOptions {
  url: string;
  room: string;
  peer: NodeId;
  /** Defaults to the global WebSocket (browsers, Node ≥ 22). */
  socket?: SocketFactory;
  /** First reconnect delay; doubles up to 10 s. */
  reconnectMs?: number;
}

/** Another live connection holds this id in the room (e.g. a duplicated tab). */
export class IdTakenError extends Error {
  override readonly name = 'IdTakenError';
}

const OPEN = 1;

/** What the WebRTC transport needs of signaling: SignalingClient, or SealedSignaling over one. */
export interface Signaling {
  readonly peer: NodeId;
  peers(): NodeId[];
  has(peer: NodeId): boolean;
  sendSignal(to: NodeId, data: unknown): boolean;
  onPeerJoined(fn: (peer: NodeId) => void): Unsubscribe;
  onPeerLeft(fn: (peer: NodeId) => void): Unsubscribe;
  onSignal(fn: (from: NodeId, data: unknown) => void): Unsubscribe;
  /** Signals refused before reaching onSignal (a sealed one that did not open); 0 for plain signaling. */
  readonly signalsRejected: number;
  close(): void;
}

export class SignalingClient implements Signaling {
  readonly signalsRejected = 0;
  private ws: SocketLike | undefined;
  private present = new Set<NodeId>();
  private closed = false;
  private retryMs: number;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly joined = new Listeners<[NodeId]>();
  private readonly left = new Listeners<[NodeId]>();
  private readonly signals = new Listeners<[NodeId, unknown]>();
  /**
   * Offers can arrive between joining and the transport subscribing (a node opens its storage in
   * between); they are held here rather than lost, which would stall the link until a retry.
   */
  private early: Array<[NodeId, unknown]> | undefined = [];
  private readonly errors = new Listeners<[string, string]>();

  private constructor(private readonly opts: SignalingClientOptions) {
    this.retryMs = opts.reconnectMs ?? 500;
  }

  /** Connects and joins; rejects with IdTakenError if the id is in use, or Error if unreachable. */
  static connect(opts: SignalingClientOptions): Promise<SignalingClient> {
    const client = new SignalingClient(opts);
    return client.open().then(() => client);
  }

  get peer(): NodeId {
    return this.opts.peer;
  }

  /** Peers currently in the room, as far as the server knows. */
  peers(): NodeId[] {
    return [...this.present];
  }

  has(peer: NodeId): boolean {
    return this.present.has(peer);
  }

  sendSignal(to: NodeId, data: unknown): boolean {
    return this.sendFrame({ type: 'signal', to, data });
  }

  onPeerJoined(fn: (peer: NodeId) => void): Unsubscribe {
    return this.joined.add(fn);
  }
  onPeerLeft(fn: (peer: NodeId) => void): Unsubscribe {
    return this.left.add(fn);
  }
  onSignal(fn: (from: NodeId, data: unknown) => void): Unsubscribe {
    const off = this.signals.add(fn);
    const held = this.early;
    this.early = undefined;
    for (const [from, data] of held ?? []) this.signals.emit(from, data);
    return off;
  }
  onError(fn: (code: string, message: string) => void): Unsubscribe {
    return this.errors.add(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.sendFrame({ type: 'leave' });
    this.ws?.close(1000, 'bye');
    this.ws = undefined;
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const factory = this.opts.socket ?? defaultSocket;
      const ws = factory(this.opts.url);
      this.ws = ws;
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      ws.onopen = () => this.sendFrame({ type: 'join', room: this.opts.room, peer: this.opts.peer });
      ws.onmessage = (ev) => {
        const frame = parseFrame(ev.data);
        if (!frame) return;
        if (frame.type === 'error' && frame.code === 'id-taken' && !settled) {
          ws.onclose = null;
          ws.close(1000, 'id taken');
          settle(new IdTakenError(frame.message));
          return;
        }
        if (frame.type === 'welcome') {
          this.retryMs = this.opts.reconnectMs ?? 500;
          settle();
        }
        this.handle(frame);
      };
      ws.onerror = () => {};
      ws.onclose = () => {
        if (!settled) settle(new Error(`signaling server unreachable at ${this.opts.url}`));
        else this.scheduleReconnect();
      };
    });
  }

  private handle(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.resetPresence(frame.peers);
        break;
      case 'peer-joined':
        if (!this.present.has(frame.peer)) {
          this.present.add(frame.peer);
          this.joined.emit(frame.peer);
        }
        break;
      case 'peer-left':
        if (this.present.delete(frame.peer)) this.left.emit(frame.peer);
        break;
      case 'signal':
        if (this.early && this.early.length < 1000) this.early.push([frame.from, frame.data]);
        else this.signals.emit(frame.from, frame.data);
        break;
      case 'error':
        this.errors.emit(frame.code, frame.message);
        break;
    }
  }

  /** After a reconnect the server's list is the truth: announce the difference. */
  private resetPresence(peers: string[]): void {
    const next = new Set(peers.filter((p) => p !== this.opts.peer));
    for (const p of this.present) if (!next.has(p)) this.left.emit(p);
    const before = this.present;
    this.present = next;
    for (const p of next) if (!before.has(p)) this.joined.emit(p);
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.ws = undefined;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    this.retryTimer = setTimeout(() => {
      // An id-taken here means our old connection is not yet reaped by the server; retry later.
      this.open().catch(() => this.scheduleReconnect());
    }, delay);
  }

  private sendFrame(frame: ClientFrame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }
}

function defaultSocket(url: string): SocketLike {
  const Ctor = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (!Ctor) throw new Error('no WebSocket in this environment: pass `socket`');
  return new Ctor(url);
}

function parseFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') data = String(data);
  try {
    const f = JSON.parse(data as string) as unknown;
    if (f && typeof f === 'object' && typeof (f as { type?: unknown }).type === 'string') return f as ServerFrame;
  } catch {
    /* a garbled frame from the server is ignored, not fatal */
  }
  return undefined;
}
