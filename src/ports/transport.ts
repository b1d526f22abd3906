// Transport port: delivers opaque string messages between node ids, and reports what it sees of links.
//
// Adapters: memory (in-process tests), the simulator's network, WebRTC (simple-peer data channels),
// and the fault-injection wrapper. Delivery is best effort and per-link FIFO while a link is up;
// nothing is retried across a down/up cycle, because the layers above (quorum deadlines, hints,
// anti-entropy) own recovery.
//
// Adapters report only what they observe: a message arrived, a channel opened, a channel closed (a
// peer closing cleanly says goodbye, so its close is seen at once), and, as a hint, that something
// outside the link (the signaling server) saw the peer leave. Whether a silent peer is dead is not
// theirs to decide: core/liveness.ts does that from heartbeats and asks for `disconnect`.

export type NodeId = string;
export type Unsubscribe = () => void;

export interface Transport {
  /** This node's id. */
  readonly self: NodeId;
  /** Peers whose link is currently up. */
  peers(): NodeId[];
  /**
   * Queue `data` for `to`. Returns false, sending nothing, when no link to `to` is up.
   * Messages of any size are accepted; adapters chunk below their frame limit.
   */
  send(to: NodeId, data: string): boolean;
  /**
   * Resolves once the outgoing queue to `to` has drained below the adapter's low-water mark,
   * or at once when the link is down. Large transfers await it between chunks (back-pressure).
   */
  drain(to: NodeId): Promise<void>;
  onMessage(fn: (from: NodeId, data: string) => void): Unsubscribe;
  /** A link to `peer` opened. Up and down alternate strictly per peer. */
  onPeerUp(fn: (peer: NodeId) => void): Unsubscribe;
  /** The link to `peer` closed: the peer said goodbye, the channel failed, or `disconnect` dropped it. */
  onPeerDown(fn: (peer: NodeId) => void): Unsubscribe;
  /**
   * Optional: something outside the link (the signaling server) saw `peer` leave. Only a hint:
   * its socket to the server may have dropped while its data channel is fine, so the link stays up
   * and liveness probes it.
   */
  onPeerHint?(fn: (peer: NodeId) => void): Unsubscribe;
  /**
   * Drops the link to `peer` because it looks dead. If the link was up, onPeerDown(peer) fires on this
   * side before this returns; the other end sees the channel close if it can still be reached (else
   * it finds out by its own silence). The adapter may link the pair again later, as it would after
   * any failure (a new link is announced with onPeerUp). A no-op when no link is up.
   */
  disconnect(peer: NodeId): void;
  /** Closes every link; peers see this node go down. Idempotent. */
  close(): Promise<void>;
}
