// The runtime node: wires signaling, the WebRTC transport, fault injection, storage and the
// pure core into the object apps and tests hold (README, "Public API"). Environment-agnostic:
// the browser entry (index.ts) and Node tests pass in their own socket, peer and storage factories.

import { FaultyTransport, type Faults } from '../adapters/faults/transport';
import { systemClock, systemRandom } from '../adapters/system/clock';
import { deriveRoomKeys, subtle, type RoomKeys } from '../adapters/secret/room-key';
import { SealedSignaling } from '../adapters/webrtc/sealed-signaling';
import { IdTakenError, SignalingClient, type Signaling, type SocketFactory } from '../adapters/webrtc/signaling-client';
import { WebRtcTransport, type PeerFactory, type WebRtcStats } from '../adapters/webrtc/transport';
import { ValidationError } from '../core/errors';
import { DVV, LWW } from '../core/replica';
import {
  DynamoCore,
  type LeaveResult,
  type Member,
  type NodeEvent,
  type NodeStats as CoreStats,
  type PutResult,
  type GetResult,
  type WriteOptions,
} from '../core/node';
import type { HandOffResult } from '../core/farewell';
import type { Change } from '../core/protocol/membership';
import type { Ring } from '../core/protocol/ring';
import type { Json, Storage } from '../ports/storage';
import type { NodeId, Transport, Unsubscribe } from '../ports/transport';
import { update, type UNCHANGED, type UpdateOptions, type UpdateResult } from '../client/update';
import { watch, type WatchOptions } from '../client/watch';
import { chooseNodeId, freshNodeId, keepNodeId, type KeyValue } from './identity';
import { resolveOptions, type ResolvedOptions, type StartOptions } from './options';

export type { LeaveResult, Member, MemberStatus, PutResult, GetResult } from '../core/node';
export type { HandOffResult } from '../core/farewell';

export interface NodeStats extends CoreStats {
  transport: WebRtcStats;
  faultDropped: number;
  /** Messages this node damaged on purpose (faults.corrupt) and handed to a live link. */
  faultCorrupted: number;
}

export interface RuntimeEnv {
  socket?: SocketFactory;
  createPeer: PeerFactory;
  /** Where a tab keeps its node id across reloads (sessionStorage in a browser). */
  idStore?: KeyValue;
  /**
   * This node's durable store; IndexedDB in a tab (`dynamo-<room>-<nodeId>`). `room` is the room id
   * (RoomInfo.id): for a protected room the derived one, so the same name under two secrets never shares data.
   */
  openStorage(room: string, nodeId: NodeId): Promise<Storage>;
  /** The zone when the options name none: the browser profile in a tab, the host name in Node. */
  defaultZone?(): string | undefined;
  /** What this node runs as. Default 'tab'. */
  kind?: 'tab' | 'replica';
}

/** Which room a node is in. */
export interface RoomInfo {
  /** The name it was started with. */
  name: string;
  /** What the signaling server and this browser's storage know it by: the name, or for a protected room 'p-' + 32 hex digits. */
  id: string;
  /** Started with a secret: peers must prove they hold it, signaling payloads are sealed. */
  protected: boolean;
}

export interface DynamoNode {
  readonly id: NodeId;
  readonly options: ResolvedOptions;
  readonly room: RoomInfo;
  put(key: string, value: Json, context?: string, opts?: WriteOptions): Promise<PutResult>;
  get(key: string, opts?: { r?: number; timeoutMs?: number }): Promise<GetResult>;
  delete(key: string, context: string, opts?: WriteOptions): Promise<PutResult>;
  members(): Member[];
  /** The key's clockwise walk: its N primaries first, then fallbacks. */
  preferenceList(key: string): NodeId[];
  stats(): NodeStats;
  /**
   * 'members': the membership changed. 'change' (with the key): this node's replica of the key
   * changed, or this node coordinated or forwarded a write of it. 'repair': read repair ran.
   */
  on(event: NodeEvent, fn: (key?: string) => void): Unsubscribe;
  /** Read-modify-write with the read's context, siblings merged by `resolve`, bounded retries (client/update.ts). */
  update<T extends Json = Json[]>(key: string, fn: (current: T | undefined) => Json | typeof UNCHANGED, opts?: UpdateOptions<T>): Promise<UpdateResult>;
  /** `fn` gets the key's siblings after each change of it seen here (client/watch.ts). */
  watch(key: string, fn: (read: GetResult) => void, opts?: WatchOptions): Unsubscribe;
  /** Leaves the ring for good: partitions move to their new owners, then the node stops. */
  leave(opts?: { timeoutMs?: number }): Promise<LeaveResult>;
  /** Removes a member that is gone for good; its partitions are reassigned and rebuilt. */
  removeMember(id: NodeId): Promise<void>;
  /** The ring partition holding `key`, in 0..q-1. */
  partitionOf(key: string): number;
  /** Partitions in the ring. */
  readonly q: number;
  /** The gossiped membership history and the ring derived from it. */
  membership(): { changes: readonly Change[]; ring: Ring | undefined; digest: string };
  /** Bulk-loads keys never written, each stored by its primaries only, with no messages (benchmarks). */
  seed(entries: ReadonlyArray<{ key: string; value: Json }>): Promise<number>;
  /** Tell peers whether this tab is hidden (they then tolerate throttled heartbeats). */
  setHidden(hidden: boolean): void;
  /** Peers whose tab said it is hidden. */
  hiddenPeers(): NodeId[];
  /**
   * Partitions whose replicas (up to N) all sit in one zone, counted per zone, most first: what one
   * failing zone (a browser, a host) would take every copy of. Empty when every partition spans zones.
   */
  sameZonePartitions(): Array<{ zone: string; partitions: number }>;
  /**
   * This tab is closing (pagehide) or being frozen: queue, synchronously, the hints it holds for
   * their owners (or another live fallback) on the links that are up. Best effort and bounded; the
   * browser entry calls it on those events. Nothing is deleted: anti-entropy stays the backstop.
   */
  handOffHints(): HandOffResult;
  readonly faults: Faults;
  /** The peer transport, for diagnostics and transport-level tests. */
  readonly transport: Transport;
  stop(): Promise<void>;
}

export async function createNode(options: StartOptions, env: RuntimeEnv): Promise<DynamoNode> {
  const opts = resolveOptions(options);
  const keys = await roomKeys(opts.room, options.secret);
  const room: RoomInfo = { name: opts.room, id: keys?.roomId ?? opts.room, protected: keys !== undefined };
  const client = await joinRoom(opts, room.id, env);
  const signaling: Signaling = keys ? new SealedSignaling(client, keys.signal) : client;
  const id = signaling.peer;
  let storage: Storage;
  try {
    // Before the id is kept: a replica's directory refuses another room's id here (node-entry.ts).
    storage = await env.openStorage(room.id, id);
  } catch (err) {
    signaling.close();
    throw err;
  }
  keepNodeId(room.id, id, env.idStore);
  const webrtc = new WebRtcTransport({ signaling, createPeer: env.createPeer, iceServers: opts.iceServers, iceTransportPolicy: opts.iceTransportPolicy, authKey: keys?.auth });
  const transport = new FaultyTransport(webrtc, systemRandom);
  const core = await DynamoCore.start(
    { id, transport, storage, clock: systemClock, random: systemRandom },
    // LWW only as the partition suite's negative control (options.ts).
    { n: opts.n, r: opts.r, w: opts.w, autoRemoveAfterMs: opts.autoRemoveAfterMs, tombstoneGraceMs: opts.tombstoneGraceMs, versioning: opts.versioning === 'lww' ? LWW : DVV, zone: opts.zone ?? env.defaultZone?.(), kind: env.kind ?? 'tab' },
  );
  await learnRing(core, signaling, opts.joinWaitMs);
  return new RuntimeNode(opts, room, core, webrtc, transport);
}

/** A protected room's keys (secret/room-key.ts); none for an open room. */
async function roomKeys(room: string, secret: string | undefined): Promise<RoomKeys | undefined> {
  if (secret === undefined) return undefined;
  try {
    subtle();
  } catch (err) {
    throw new ValidationError((err as Error).message);
  }
  return deriveRoomKeys(room, secret);
}

/**
 * A new tab knows only itself until gossip reaches it, and would meanwhile take every write alone
 * (a ring smaller than N). When the room has other peers, wait for the first exchange with one of
 * them, briefly: a tab that cannot connect still starts, and the page shows its small ring.
 */
async function learnRing(core: DynamoCore, signaling: Signaling, waitMs: number): Promise<void> {
  if (signaling.peers().length === 0 || core.members().length > 1) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, waitMs);
    const off = core.on('members', () => core.members().length > 1 && done());
    function done() {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}

/** Joins the room `roomId`, stepping aside to a fresh id when ours is taken (unless the user pinned it). */
async function joinRoom(opts: ResolvedOptions, roomId: string, env: RuntimeEnv): Promise<SignalingClient> {
  let { id, pinned } = chooseNodeId(roomId, opts.nodeId, env.idStore);
  for (let attempt = 1; ; attempt++) {
    try {
      return await SignalingClient.connect({ url: opts.signalingUrl, room: roomId, peer: id, socket: env.socket });
    } catch (err) {
      if (!(err instanceof IdTakenError)) throw err;
      // A reload can race the server noticing our previous connection close: wait a moment first.
      if (pinned && attempt >= 10) throw new ValidationError(`node id "${id}" is already in use in room "${opts.room}"`);
      if (pinned || attempt === 1) await new Promise((r) => setTimeout(r, 300));
      else id = freshNodeId();
    }
  }
}

class RuntimeNode implements DynamoNode {
  constructor(
    readonly options: ResolvedOptions,
    readonly room: RoomInfo,
    private readonly core: DynamoCore,
    private readonly webrtc: WebRtcTransport,
    readonly transport: FaultyTransport,
  ) {}

  get id(): NodeId {
    return this.core.id;
  }
  get faults(): Faults {
    return this.transport;
  }

  put(key: string, value: Json, context?: string, opts?: WriteOptions) {
    return this.core.put(key, value, context, opts);
  }
  get(key: string, opts?: { r?: number; timeoutMs?: number }) {
    return this.core.get(key, opts);
  }
  delete(key: string, context: string, opts?: WriteOptions) {
    return this.core.delete(key, context, opts);
  }
  members(): Member[] {
    return this.core.members();
  }
  preferenceList(key: string): NodeId[] {
    return this.core.preferenceList(key);
  }
  stats(): NodeStats {
    return { ...this.core.stats(), transport: this.webrtc.stats(), faultDropped: this.transport.dropped, faultCorrupted: this.transport.corrupted };
  }
  on(event: NodeEvent, fn: (key?: string) => void): Unsubscribe {
    return this.core.on(event, fn);
  }
  update<T extends Json = Json[]>(key: string, fn: (current: T | undefined) => Json | typeof UNCHANGED, opts?: UpdateOptions<T>): Promise<UpdateResult> {
    return update(this, key, fn, opts);
  }
  watch(key: string, fn: (read: GetResult) => void, opts?: WatchOptions): Unsubscribe {
    return watch(this, key, fn, opts);
  }
  leave(opts?: { timeoutMs?: number }): Promise<LeaveResult> {
    return this.core.leave(opts);
  }
  removeMember(id: NodeId): Promise<void> {
    return this.core.removeMember(id);
  }
  membership() {
    return this.core.membership();
  }
  partitionOf(key: string): number {
    return this.core.partitionOf(key);
  }
  get q(): number {
    return this.core.config.q;
  }
  seed(entries: ReadonlyArray<{ key: string; value: Json }>): Promise<number> {
    return this.core.seed(entries);
  }
  setHidden(hidden: boolean): void {
    this.core.setHidden(hidden);
  }
  hiddenPeers(): NodeId[] {
    return this.core.hiddenPeers();
  }
  sameZonePartitions() {
    return this.core.sameZonePartitions();
  }
  handOffHints(): HandOffResult {
    const result = this.core.handOffHints();
    // A page about to be frozen runs no more tasks, so the transport's next-task pump would wait for
    // the resume: write the queue out now (on pagehide, stop() would as well).
    this.webrtc.flush();
    return result;
  }
  stop(): Promise<void> {
    return this.core.stop();
  }
}
