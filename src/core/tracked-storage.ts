// A Storage that reports every change to a key record, so the Merkle trees (antientropy.ts) follow
// each local write however it was made: a client write, replication, read repair, handoff, transfer.
//
// Public API
//   tracked(storage, onChange): Storage      onChange(key, partition, value | undefined) after the
//                                            write is durable; undefined means deleted
//
// Why a decorator and not calls at each write site: a write path that forgot to update its tree
// would leave the tree wrong forever (every exchange would flag the key, and repair would not fix
// the tree). Here no key write can bypass it.

import { overriding, type Json, type KeyRecord, type Storage } from '../ports/storage';
import { partitionOf } from './hash';

export type KeyChange = (key: string, partition: number, value: Json | undefined) => void;

export function tracked(inner: Storage, q: number, onChange: KeyChange): Storage {
  return overriding(inner, {
    async put(record: KeyRecord) {
      await inner.put(record);
      onChange(record.key, record.partition, record.value);
    },
    async update(key, partition, fn) {
      let written: Json | undefined;
      await inner.update(key, partition, (current) => (written = fn(current)));
      if (written !== undefined) onChange(key, partition, written);
    },
    async putMany(records: KeyRecord[]) {
      await inner.putMany(records);
      for (const r of records) onChange(r.key, r.partition, r.value);
    },
    async delete(key: string) {
      await inner.delete(key);
      onChange(key, partitionOf(key, q), undefined);
    },
  });
}
