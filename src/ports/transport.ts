// Transport port: delivers opaque string messages between node ids, reports links up and down.
//
// Adapters: memory (in-process, tests and simulator glue) and WebRTC (simple-peer data channels).
// Delivery is best effort and per-link FIFO while a link is up; nothing is retried across a
// down/up cycle, because the layers above (quorum deadlines, hints, anti-entropy) own recovery.

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
  onPeerUp(fn: (peer: NodeId) => void): Unsubscribe;
  onPeerDown(fn: (peer: NodeId) => void): Unsubscribe;
  /** Closes every link; peers see this node go down. Idempotent. */
  close(): Promise<void>;
}
