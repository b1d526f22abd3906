// Client frames off the wire: a raw WebSocket message becomes a valid ClientFrame or the error to reply.

import type { RawData } from 'ws';
import { ID_PATTERN, MAX_DATA_DEPTH, type ClientFrame, type ErrorCode } from './protocol';

export interface Rejection {
  reject: ErrorCode;
  message: string;
  ref?: string;
}

export function parseClientFrame(raw: RawData, isBinary: boolean): ClientFrame | Rejection {
  if (isBinary) return { reject: 'bad-frame', message: 'binary frames are not accepted; send JSON text' };
  let msg: unknown;
  try {
    msg = JSON.parse(raw.toString());
  } catch {
    return { reject: 'bad-json', message: 'frame is not valid JSON' };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { reject: 'bad-frame', message: 'frame must be a JSON object' };
  const f = msg as Record<string, unknown>;
  if (typeof f.type !== 'string') return { reject: 'bad-frame', message: 'frame.type must be a string' };
  switch (f.type) {
    case 'join': {
      const { room, peer } = f;
      if (typeof room !== 'string' || !ID_PATTERN.test(room) || typeof peer !== 'string' || !ID_PATTERN.test(peer)) {
        return { reject: 'bad-frame', message: `room and peer must match ${ID_PATTERN}`, ref: 'join' };
      }
      return { type: 'join', room, peer };
    }
    case 'signal':
      // `to` must look like a peer id: anything else matches no peer, and replies echo it.
      if (typeof f.to !== 'string' || !ID_PATTERN.test(f.to) || !('data' in f)) {
        return { reject: 'bad-frame', message: `signal needs \`to\` matching ${ID_PATTERN} and \`data\``, ref: 'signal' };
      }
      // The relay re-serialises data, and JSON.stringify recurses: bound the depth before it overflows.
      if (nestsDeeper(f.data, MAX_DATA_DEPTH)) return { reject: 'bad-frame', message: `signal data nests deeper than ${MAX_DATA_DEPTH} levels`, ref: 'signal' };
      return { type: 'signal', to: f.to, data: f.data };
    case 'leave':
      return { type: 'leave' };
    default:
      return { reject: 'unknown-type', message: `unknown frame type ${JSON.stringify(f.type.slice(0, 32))}` };
  }
}

/** Whether arrays and objects in `value` nest more than `limit` levels; walks level by level, no recursion. */
export function nestsDeeper(value: unknown, limit: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 1; ; depth++) {
    const containers = level.filter((v): v is object => typeof v === 'object' && v !== null);
    if (containers.length === 0) return false;
    if (depth > limit) return true;
    level = [];
    for (const c of containers) for (const child of Object.values(c)) level.push(child);
  }
}

export function isRejection(x: ClientFrame | Rejection): x is Rejection {
  return 'reject' in x;
}
