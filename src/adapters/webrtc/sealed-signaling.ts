// Signaling for a protected room: every signal payload is sealed for its addressee on the way out
// and opened on the way in (secret/sealed-signal.ts), so the server relays only ciphertext. A payload
// that does not open (tampered with, re-addressed, sealed under another secret, or plaintext from a
// peer outside the room) is dropped and counted, never handed to the transport.
//
// Sealing is asynchronous (WebCrypto), and a peer connection needs its offer before its candidates:
// payloads go out, and come in, through one queue per peer, in the order they were given.

import { Listeners } from '../../ports/emitter';
import type { NodeId, Unsubscribe } from '../../ports/transport';
import { open, seal } from '../secret/sealed-signal';
import type { Signaling, SignalingClient } from './signaling-client';

/** Payloads waiting to be opened from one peer; past this a flood is dropped (and counted), not queued. */
const MAX_PENDING_PER_PEER = 256;

interface Queue {
  tail: Promise<void>;
  pending: number;
}

export class SealedSignaling implements Signaling {
  private rejected = 0;
  private readonly outgoing = new Map<NodeId, Queue>();
  private readonly incoming = new Map<NodeId, Queue>();
  private readonly signals = new Listeners<[NodeId, unknown]>();
  private subscribed: Unsubscribe | undefined;
  private closed = false;

  constructor(
    private readonly inner: SignalingClient,
    private readonly key: CryptoKey,
  ) {}

  get peer(): NodeId {
    return this.inner.peer;
  }
  get signalsRejected(): number {
    return this.rejected;
  }
  peers(): NodeId[] {
    return this.inner.peers();
  }
  has(peer: NodeId): boolean {
    return this.inner.has(peer);
  }
  onPeerJoined(fn: (peer: NodeId) => void): Unsubscribe {
    return this.inner.onPeerJoined(fn);
  }
  onPeerLeft(fn: (peer: NodeId) => void): Unsubscribe {
    return this.inner.onPeerLeft(fn);
  }

  /** Queues the payload for sealing; true unless closed (delivery is best effort, as for the plain client). */
  sendSignal(to: NodeId, data: unknown): boolean {
    if (this.closed) return false;
    const route = { from: this.peer, to, kind: 'signal' };
    return this.enqueue(this.outgoing, to, async () => {
      const sealed = await seal(this.key, route, data);
      if (!this.closed) this.inner.sendSignal(to, sealed);
    });
  }

  onSignal(fn: (from: NodeId, data: unknown) => void): Unsubscribe {
    const off = this.signals.add(fn);
    // Subscribing releases what the client held since it joined (signaling-client.ts): once only.
    this.subscribed ??= this.inner.onSignal((from, data) => this.received(from, data));
    return off;
  }

  close(): void {
    this.closed = true;
    this.subscribed?.();
    this.inner.close();
  }

  private received(from: NodeId, data: unknown): void {
    const route = { from, to: this.peer, kind: 'signal' };
    const queued = this.enqueue(this.incoming, from, async () => {
      const payload = await open(this.key, route, data);
      if (payload === undefined) this.rejected++;
      else if (!this.closed) this.signals.emit(from, payload);
    });
    if (!queued) this.rejected++;
  }

  /** Runs `job` after the peer's earlier jobs; false (and nothing run) when too many are waiting. */
  private enqueue(queues: Map<NodeId, Queue>, peer: NodeId, job: () => Promise<void>): boolean {
    const q = queues.get(peer) ?? { tail: Promise.resolve(), pending: 0 };
    if (q.pending >= MAX_PENDING_PER_PEER) return false;
    q.pending++;
    queues.set(peer, q);
    q.tail = q.tail.then(job).catch(() => {}).then(() => {
      if (--q.pending === 0 && queues.get(peer) === q) queues.delete(peer);
    });
    return true;
  }
}
