// The types the public API names (node methods' options and results, stats, membership), exported
// by every entry of the package so apps can name them and the reference docs can link them.

export type { DynamoNode, Member, MemberStatus, NodeStats, PutResult, GetResult, RoomInfo, LeaveResult, HandOffResult } from './node';
export type { StartOptions, ResolvedOptions } from './options';
export type { NodeEvent, WriteOptions, RequestOptions } from '../core/node-config';
export type { Faults } from '../adapters/faults/transport';
export type { WebRtcStats } from '../adapters/webrtc/transport';
export type { Transport, Unsubscribe, NodeId } from '../ports/transport';
export type { Change, ChangeKind, Role, Attributes } from '../core/protocol/membership';
export type { Ring } from '../core/protocol/ring';
export type { AntiEntropyStats } from '../core/antientropy';
export type { ReaperStats } from '../core/reaper';
export type { LatencySummary } from '../core/latency';
export type { Phase } from '../core/phases';
