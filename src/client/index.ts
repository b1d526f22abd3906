// The client helpers every entry of the package exports: update, watch and the sibling resolvers.

export { update, UNCHANGED, type UpdateOptions, type UpdateResult } from './update';
export { watch, type WatchOptions } from './watch';
export type { KeyValueNode, ReadResult, WriteResult, Json } from './kv';
export { newTag } from './canonical';
export * as orset from './orset';
export * as ormap from './ormap';
export * as counter from './counter';
export * as lww from './lww';
export type { ORSet } from './orset';
export type { ORMap } from './ormap';
export type { Counter } from './counter';
export type { LWW } from './lww';
