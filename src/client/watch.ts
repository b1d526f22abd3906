// node.watch: a key's siblings each time this node sees the key change (its replica was written,
// or it coordinated or forwarded a write of it: the 'change' event), read with the node's quorum.
//
// Why a read and not the replica's own copy: a tab that coordinates a write may hold no replica of
// the key, and a replica alone can be missing versions the others hold; the read returns the merged
// siblings the app would write back against, with their context.
// Changes that arrive while a read is under way are coalesced into one more read after it, so a
// burst of N changes costs at most two reads, and the callback never sees an older read after a
// newer one.

import type { Unsubscribe } from '../ports/transport';
import type { KeyValueNode, ReadResult } from './kv';

export interface WatchOptions {
  /** Read once right away, before any change (default false). */
  initial?: boolean;
  r?: number;
  timeoutMs?: number;
  /** A failed read (QuorumError, ClosedError...). Default: ignored; the next change reads again. */
  onError?: (err: unknown) => void;
}

/** Calls `fn` with the key's siblings and context after each change of `key` seen here; returns the unsubscribe. */
export function watch(node: KeyValueNode, key: string, fn: (read: ReadResult) => void, opts: WatchOptions = {}): Unsubscribe {
  let stopped = false;
  let reading = false;
  let again = false;

  const read = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        try {
          const result = await node.get(key, { r: opts.r, timeoutMs: opts.timeoutMs });
          if (!stopped) fn(result);
        } catch (err) {
          if (!stopped) opts.onError?.(err);
        }
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };

  const off = node.on('change', (k) => {
    if (k === key && !stopped) void read();
  });
  if (opts.initial) void read();
  return () => {
    stopped = true;
    return off();
  };
}
