// Counters read through server.stats(): what is open, what is buffered for readers, what was dropped or cut.

export interface SignalingStats {
  connections: number;
  rooms: number;
  peers: number;
  /** Bytes written but not yet taken by the clients' sockets, over all connections and for the worst one. */
  bufferedBytes: number;
  maxBufferedBytes: number;
  /** Relays dropped because the addressee was past the high-water mark. */
  relaysDropped: number;
  closed: {
    /** Closed with 4507: more than `maxBuffered` bytes were waiting for them. */
    slowReader: number;
    /** Closed with 4408: outside a room for longer than `joinTimeoutMs`. */
    joinTimeout: number;
    /** Cut without a close frame: no pong within a ping period. */
    pingTimeout: number;
  };
  /** Upgrades refused: 429 past the per-address cap, 503 past the total cap. */
  refused: { perAddress: number; total: number };
}

/** The counters a hub keeps; the gauges (connections, buffered bytes) are read when asked. */
export interface Counters {
  relaysDropped: number;
  closed: SignalingStats['closed'];
  refused: SignalingStats['refused'];
}

export function newCounters(): Counters {
  return { relaysDropped: 0, closed: { slowReader: 0, joinTimeout: 0, pingTimeout: 0 }, refused: { perAddress: 0, total: 0 } };
}
