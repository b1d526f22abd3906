// The request messages on the wire (paper §4.5): replica reads and writes, and a client put forwarded
// to a coordinator (coordinate/put.ts, get.ts), each answered by a reply carrying the request's `id`.

import type { Json } from '../../ports/storage';
import type { NodeId } from '../../ports/transport';
import { isKey, isNodeId, isObject, isRequestId as isId, isText, type SetJson, type Validators } from './wire';

export type RequestMessage =
  /** Store `set` (merge it into what you hold) for `key`; as a hint for `hintFor` if given. */
  | { type: 'put'; id: number; key: string; set: SetJson; hintFor?: NodeId }
  | { type: 'put-ack'; id: number; ok: boolean; error?: string }
  /** Send me your sibling set for `key` (null if you hold nothing). */
  | { type: 'get'; id: number; key: string }
  | { type: 'get-reply'; id: number; set: SetJson | null }
  /**
   * Coordinate this client put for me: I am not among the key's first N replicas. `timeoutMs` is the
   * client's deadline (coordinate/put.ts gives the coordinator its share); absent from older peers.
   */
  | { type: 'fwd-put'; id: number; key: string; value?: Json; tombstone?: boolean; context: string; w: number | 'any'; timeoutMs?: number }
  | { type: 'fwd-put-reply'; id: number; ok: true; context: string; replicas: number; degraded?: boolean }
  | { type: 'fwd-put-reply'; id: number; ok: false; error: ErrorName; message: string; required?: number; answered?: number };

export type ErrorName = 'QuorumError' | 'ValidationError' | 'StorageFullError' | 'ClosedError' | 'Error';

/** The longest deadline a client request may ask for (and a forward may carry): two minutes. */
export const MAX_REQUEST_TIMEOUT_MS = 120_000;
const MAX_ERROR_CHARS = 2000;
const ERROR_NAMES = new Set<string>(['QuorumError', 'ValidationError', 'StorageFullError', 'ClosedError', 'Error']);

export const requestValidators: Validators<RequestMessage> = {
  put: (m) => isKey(m.key) && isObject(m.set) && (m.hintFor === undefined || isNodeId(m.hintFor)),
  'put-ack': (m) => typeof m.ok === 'boolean' && (m.error === undefined || isText(m.error, 64)),
  get: (m) => isKey(m.key),
  'get-reply': (m) => m.set === null || isObject(m.set),
  'fwd-put': (m) =>
    isKey(m.key) &&
    typeof m.context === 'string' &&
    (isId(m.w) || m.w === 'any') &&
    (m.timeoutMs === undefined || (isId(m.timeoutMs) && m.timeoutMs >= 1 && m.timeoutMs <= MAX_REQUEST_TIMEOUT_MS)) &&
    (m.tombstone === true ? m.value === undefined : m.value !== undefined && m.tombstone === undefined),
  'fwd-put-reply': (m) =>
    m.ok === true
      ? typeof m.context === 'string' && isId(m.replicas) && (m.degraded === undefined || typeof m.degraded === 'boolean')
      : m.ok === false &&
        typeof m.error === 'string' &&
        ERROR_NAMES.has(m.error) &&
        isText(m.message, MAX_ERROR_CHARS) &&
        (m.required === undefined || isId(m.required)) &&
        (m.answered === undefined || isId(m.answered)),
};
