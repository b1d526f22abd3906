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
// `rate-limited` is sent once per run of dropped frames, not once per frame.

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
  | 'rate-limited';

export type ServerFrame =
  | { type: 'welcome'; room: string; peer: string; peers: string[] }
  | { type: 'peer-joined'; peer: string }
  | { type: 'peer-left'; peer: string }
  | { type: 'signal'; from: string; data: unknown }
  | { type: 'error'; code: ErrorCode; message: string; ref?: string };

/** Room names and peer ids: 1..64 characters of [A-Za-z0-9_.:-]. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
