// The part of a node the client helpers use (update, watch): reads, writes and the 'change' event.

import type { Json } from '../ports/storage';
import type { Unsubscribe } from '../ports/transport';

export type { Json };

/** A read's answer: the siblings (none for a key never written or deleted) and the context to write back. */
export interface ReadResult {
  values: Json[];
  context: string;
}

/** A write's answer: the new context and how many replicas acknowledged it. */
export interface WriteResult {
  context: string;
  replicas: number;
}

/** Anything with the node's get/put/on shapes: a DynamoNode, or the core in tests and the simulator. */
export interface KeyValueNode {
  get(key: string, opts?: { r?: number; timeoutMs?: number }): Promise<ReadResult>;
  put(key: string, value: Json, context?: string, opts?: { w?: number | 'any'; timeoutMs?: number }): Promise<WriteResult>;
  on(event: 'change', fn: (key?: string) => void): Unsubscribe;
}
