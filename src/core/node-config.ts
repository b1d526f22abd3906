// The node's configuration, defaults and the shapes of its public API (the README's API section).
// Kept apart from node.ts so the composition there reads on its own; node.ts re-exports all of it.

import type { Clock } from '../ports/clock';
import type { Random } from '../ports/random';
import type { Json, Storage } from '../ports/storage';
import type { NodeId, Transport } from '../ports/transport';
import type { AntiEntropyStats } from './antientropy';
import type { LatencySummary } from './latency';
import type { Phase } from './phases';
import { DEFAULT_LIVENESS, type LivenessOptions } from './liveness';
import type { ReaperStats } from './reaper';
import { DVV, type Versioning } from './replica';
import { DEFAULT_Q } from './ring';
import type { Attributes, Role } from './protocol/membership';
import type { Mutants } from './mutants';

export interface NodeDeps {
  id: NodeId;
  transport: Transport;
  storage: Storage;
  clock: Clock;
  random: Random;
  /** Deliberate bugs (mutants.ts): only the simulator passes any, to prove its checkers catch them. */
  mutants?: Mutants;
}

/** Failure detection's knobs (heartbeats, silence, hidden tabs, suspicion) are liveness.ts's. */
export interface NodeConfig extends LivenessOptions {
  n: number;
  r: number;
  w: number;
  /** Partitions in the ring; a power of two. */
  q: number;
  /** Default deadline of a client request. */
  timeoutMs: number;
  /** How often pending hints are offered to owners that are up. */
  handoffIntervalMs: number;
  /** DVV (default). LWW exists only as a negative control for the checkers. */
  versioning: Versioning;
  /** Join at start if not a member, and rejoin if removed while running (never after leave()). */
  autoJoin: boolean;
  /** How often each node gossips its membership view with one random live peer. */
  gossipIntervalMs: number;
  /** How often queued key transfers are retried (they also start at once on a ring change). */
  transferIntervalMs: number;
  /** Remove a member down this long; 0 never removes on its own. See the note in the README. */
  autoRemoveAfterMs: number;
  /** Anti-entropy: pause between two partition exchanges, and after a sweep of all; 0 pause = off. */
  aaeGapMs: number;
  aaeSweepPauseMs: number;
  antiEntropy: boolean;
  /**
   * Tombstone reaping (reaper.ts): a delete is removed for good once every primary holds it (as
   * anti-entropy confirms) and it is older than this. It must outlast any hint or stray copy that
   * could still carry a value the delete superseded, hence an hour, well past autoRemoveAfterMs.
   * 0 turns reaping off.
   */
  tombstoneGraceMs: number;
  /** How often a node looks for tombstones to reap (each round moves its actor to a new epoch). */
  reapIntervalMs: number;
  /**
   * This node's failure domain (a browser profile, a host), named in its join: a key's N replicas
   * span as many zones as the ring has (placement.ts). Undefined: a zone of its own.
   */
  zone: string | undefined;
  /** What this node runs as; shown to everyone in members(). */
  kind: Role;
}

export const DEFAULT_CONFIG: NodeConfig = {
  n: 3,
  r: 2,
  w: 2,
  q: DEFAULT_Q,
  timeoutMs: 1000,
  handoffIntervalMs: 1000,
  versioning: DVV,
  autoJoin: true,
  gossipIntervalMs: 1000,
  transferIntervalMs: 1000,
  ...DEFAULT_LIVENESS,
  autoRemoveAfterMs: 10 * 60_000,
  aaeGapMs: 50,
  aaeSweepPauseMs: 5000,
  antiEntropy: true,
  tombstoneGraceMs: 60 * 60_000,
  reapIntervalMs: 60_000,
  zone: undefined,
  kind: 'tab',
};


export type MemberStatus = 'up' | 'suspect' | 'down';
export interface Member {
  id: NodeId;
  status: MemberStatus;
  /** The ring partitions this member owns. */
  tokens: number[];
  /** Its failure domain; its own id when its join named none (a zone of its own). */
  zone: string;
  kind: Role;
}
export type { PutResult } from './coordinate/put';
export interface GetResult {
  values: Json[];
  context: string;
}
export interface RequestOptions {
  timeoutMs?: number;
}
/** A put's or delete's options: `w` a count in 1..N, or 'any' (coordinate/put.ts). */
export interface WriteOptions extends RequestOptions {
  w?: number | 'any';
}

export interface NodeStats {
  /** `degraded`: writes acknowledged with w 'any' while fewer than W replicas held them. */
  requests: { put: number; get: number; delete: number; forwarded: number; degraded: number };
  errors: { quorum: number; validation: number; storage: number };
  latencyMs: { put: LatencySummary; get: LatencySummary };
  /** Where requests spend their time, phase by phase (phases.ts): what the benchmark's breakdown reads. */
  phasesMs: Record<Phase, LatencySummary>;
  hints: { pending: number; stored: number; delivered: number };
  repairs: { read: number };
  /** `refused`: changes in peers' gossip not taken in, over the per-message limits (gossip.ts). */
  membership: { members: number; changes: number; gossipRounds: number; ringChanges: number; refused: number };
  transfer: { moved: number; copied: number; partitionsPending: number };
  /**
   * Sets peers refused to merge with their own copy (over the storable bound, versions.checkStorable):
   * `refused` so far, and (peer, key) pairs `parked` now: kept here, not sent again while unchanged.
   */
  unmergeable: { refused: number; parked: number };
  antiEntropy: AntiEntropyStats;
  /** Tombstone reaping; `epoch` is the actor epoch this node mints under (actor.ts). */
  reaping: ReaperStats & { epoch: number };
  /**
   * Peer messages: dropped ones by reason and by sending peer (up to 64 peers, the rest as "other");
   * malformedByPeer counts only those that failed the checksum or validation.
   */
  messages: { received: number; dropped: number; dropReasons: Record<string, number>; dropsByPeer: Record<string, number>; malformedByPeer: Record<string, number> };
}

export type NodeEvent = 'members' | 'change' | 'repair';
export interface LeaveResult {
  /** True when every partition reached its new owners before the deadline. */
  complete: boolean;
  /** Keys shipped to new owners and dropped here. */
  moved: number;
  /** Partitions whose keys are still here (their owners were unreachable). */
  partitionsPending: number;
}

/** What this node's join says about it: only what differs from the defaults, so a plain tab's join is as before. */
export function joinAttributes(config: Pick<NodeConfig, 'zone' | 'kind'>): Attributes {
  return { ...(config.zone !== undefined ? { zone: config.zone } : {}), ...(config.kind !== 'tab' ? { role: config.kind } : {}) };
}

/** The membership knows this node under other attributes than it now has: it joins again to say so. */
export function attributesDiffer(known: Attributes, config: Pick<NodeConfig, 'zone' | 'kind'>): boolean {
  return known.zone !== config.zone || (known.role ?? 'tab') !== config.kind;
}

/** A member's zone and kind as members() shows them: a node that named no zone is a zone of its own. */
export function memberAttributes(a: Attributes, id: NodeId): { zone: string; kind: Role } {
  return { zone: a.zone ?? id, kind: a.role ?? 'tab' };
}
