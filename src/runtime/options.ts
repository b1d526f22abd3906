// startNode options: defaults, validation, and reading them from a page's URL (?room=&node=&n=&r=&w=,
// and the room secret from the fragment, #secret=, which the browser never sends to any server).

import { ValidationError } from '../core/errors';
import { ID_PATTERN as ID } from '../../signaling/protocol';
import { MAX_SECRET_CHARS } from '../adapters/secret/room-key';
import { parseIcePolicy, parseIceServers, type IceTransportPolicy } from './ice';

export interface StartOptions {
  /** Ring name; also the IndexedDB namespace. */
  room: string;
  signalingUrl: string;
  /** Default: kept per tab (survives reload). */
  nodeId?: string;
  n?: number;
  r?: number;
  w?: number;
  /** STUN/TURN servers for peers on other networks (validated and bounded: see ice.ts). */
  iceServers?: RTCIceServer[];
  /** 'relay' uses TURN-relayed candidates only. Default 'all'. */
  iceTransportPolicy?: IceTransportPolicy;
  /**
   * Room secret: only peers holding it get in, and the signaling server sees a room id derived from
   * room and secret instead of either (README, "Trust model"). Without it the room is open.
   */
  secret?: string;
  /**
   * This node's failure domain: a key's N replicas span as many zones as the ring has. Default: the
   * browser profile in a tab (its tabs share it), the host name in a Node replica.
   */
  zone?: string;
  /** Remove a member down this long (ms); 0 never. Default 10 minutes. */
  autoRemoveAfterMs?: number;
  /** How long a new tab waits at start to hear the ring from a peer. Default 3 s. */
  joinWaitMs?: number;
  /**
   * A delete is removed for good once every primary holds it and it is this old (ms); 0 never.
   * Default 1 hour: it must outlast any hint or cut-off tab that could still hold what it deleted.
   */
  tombstoneGraceMs?: number;
  /**
   * How versions are written and merged. 'dvv' (default): dotted version vectors, siblings.
   * 'lww': last-writer-wins, which loses concurrent writes by design; it exists only as the negative
   * control of the partition suite (test/e2e/partition.spec.ts), to prove its checker can fail.
   */
  versioning?: 'dvv' | 'lww';
}

/** The options in force. The secret is not kept here (apps and consoles read these); `protected` says whether there is one. */
export type ResolvedOptions = Required<Omit<StartOptions, 'nodeId' | 'secret' | 'zone'>> & { nodeId?: string; zone?: string; protected: boolean };

export function resolveOptions(o: StartOptions): ResolvedOptions {
  const n = o.n ?? 3;
  const r = o.r ?? 2;
  const w = o.w ?? 2;
  if (!ID.test(o.room ?? '')) throw new ValidationError(`room must be 1-64 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(o.room)}`);
  if (o.nodeId !== undefined && !ID.test(o.nodeId)) throw new ValidationError(`node id must be 1-64 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(o.nodeId)}`);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new ValidationError(`n must be an integer in 1..16, got ${n}`);
  for (const [name, v] of [['r', r], ['w', w]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > n) throw new ValidationError(`${name} must be an integer in 1..n (${n}), got ${v}`);
  }
  if (typeof o.signalingUrl !== 'string' || !/^wss?:\/\//.test(o.signalingUrl)) {
    throw new ValidationError(`signalingUrl must be a ws:// or wss:// URL, got ${JSON.stringify(o.signalingUrl)}`);
  }
  const autoRemoveAfterMs = o.autoRemoveAfterMs ?? 10 * 60_000;
  const joinWaitMs = o.joinWaitMs ?? 3000;
  const tombstoneGraceMs = o.tombstoneGraceMs ?? 60 * 60_000;
  for (const [name, v] of [['autoRemoveAfterMs', autoRemoveAfterMs], ['joinWaitMs', joinWaitMs], ['tombstoneGraceMs', tombstoneGraceMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new ValidationError(`${name} must be a non-negative number of ms, got ${v}`);
  }
  const versioning = o.versioning ?? 'dvv';
  if (versioning !== 'dvv' && versioning !== 'lww') throw new ValidationError(`versioning must be 'dvv' or 'lww', got ${JSON.stringify(o.versioning)}`);
  const secret = o.secret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_CHARS)) {
    throw new ValidationError(`secret must be a string of 1-${MAX_SECRET_CHARS} characters`);
  }
  if (o.zone !== undefined && (typeof o.zone !== 'string' || o.zone.length === 0 || o.zone.length > 64)) {
    throw new ValidationError(`zone must be a string of 1-64 characters, got ${JSON.stringify(o.zone)}`);
  }
  const ice = { iceServers: parseIceServers(o.iceServers ?? []), iceTransportPolicy: parseIcePolicy(o.iceTransportPolicy) };
  const base = { room: o.room, signalingUrl: o.signalingUrl, nodeId: o.nodeId, zone: o.zone, n, r, w, ...ice };
  return { ...base, autoRemoveAfterMs, joinWaitMs, tombstoneGraceMs, versioning, protected: secret !== undefined };
}

/**
 * Options for an app page: `?room=&node=&zone=&n=&r=&w=`, signaling on the page's own origin, the secret
 * from `#secret=`. A secret in the query is refused: the query goes to the server with the page request.
 */
export function optionsFromUrl(location: { search: string; host: string; protocol: string; hash?: string }): StartOptions {
  const q = new URLSearchParams(location.search);
  if (q.has('secret')) throw new ValidationError('the room secret goes in the fragment (#secret=...), never in the query, which is sent to the server');
  const secret = new URLSearchParams((location.hash ?? '').replace(/^#/, '')).get('secret') || undefined;
  const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
  const ws = location.protocol === 'https:' ? 'wss' : 'ws';
  return {
    room: q.get('room') || 'demo',
    signalingUrl: q.get('signal') || `${ws}://${location.host}/signal`,
    nodeId: q.get('node') || undefined,
    zone: q.get('zone') || undefined,
    n: num('n'),
    r: num('r'),
    w: num('w'),
    // Negative control only (see StartOptions.versioning); validated by resolveOptions.
    versioning: (q.get('versioning') || undefined) as StartOptions['versioning'],
    ...(secret === undefined ? {} : { secret }),
  };
}
