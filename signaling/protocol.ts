// Signaling wire protocol (JSON text frames over one WebSocket at /signal).
//
// The server only introduces peers: it tells each peer who else is in its room and relays
// WebRTC offers/answers/ICE candidates addressed to exactly one peer. It never sees store data.
//
// client → server                               server → client
//   {type:'join', room, peer}                     {type:'welcome', room, peer, peers: string[]}
//   {type:'signal', to, data}                     {type:'peer-joined', peer} / {type:'peer-left', peer}
//   {type:'leave'}                                {type:'signal', from, data}
//                                                 {type:'error', code, message, ref?}
// A connection joins one room with one id. `id-taken` leaves the connection open and unjoined,
// so a duplicated tab can retry with a fresh id.
// `ref` on an error names what it is about: the peer id for `id-taken` and `no-such-peer`, the room
// for `room-full`, the frame type ('join' | 'signal' | 'leave') for other errors about a known frame.
// `rate-limited` is sent once per run of dropped frames, not once per frame. `peer-slow` (ref: the
// addressee) says a relay was dropped because the addressee is not reading what the server already holds
// for it; it too is sent once per run of drops to that peer.

export type ClientFrame =
  | { type: 'join'; room: string; peer: string }
  | { type: 'signal'; to: string; data: unknown }
  | { type: 'leave' };

export type ErrorCode =
  | 'bad-json'
  | 'bad-frame'
  | 'unknown-type'
  | 'not-joined'
  | 'already-joined'
  | 'id-taken'
  | 'room-full'
  | 'no-such-peer'
  | 'rate-limited'
  | 'peer-slow';

export type ServerFrame =
  | { type: 'welcome'; room: string; peer: string; peers: string[] }
  | { type: 'peer-joined'; peer: string }
  | { type: 'peer-left'; peer: string }
  | { type: 'signal'; from: string; data: unknown }
  | { type: 'error'; code: ErrorCode; message: string; ref?: string };

/**
 * A relayed signal frame is at most the frame limit plus this many bytes (its envelope). Relaying
 * re-serialises `data`, and some numbers print longer than they were written (1e20 becomes
 * 100000000000000000000), so a signal whose relay would be larger is refused with `bad-frame`.
 */
export const RELAY_ENVELOPE = 128;

/** A signal's `data` may nest arrays and objects this deep; WebRTC signals nest 4 or 5 levels. */
export const MAX_DATA_DEPTH = 32;

/** Room names and peer ids: 1..64 characters of [A-Za-z0-9_.:-]. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Close codes the server sends besides the ones ws sends for it (1009 frame over the size limit,
 * 1007 invalid UTF-8 in a text frame, 1002 WebSocket protocol error). A connection that misses a ping
 * is cut without a close frame (the client sees 1006).
 */
export const CloseCode = {
  /** Did not join a room within `joinTimeoutMs` of connecting or of leaving one. */
  joinTimeout: 4408,
  /** More than `maxBuffered` bytes were waiting for this client to read. */
  slowReader: 4507,
  /** Shared rooms only: Redis could not be reached, or lost this process's peers; connect again. */
  unavailable: 4503,
} as const;
