// startNode for Node 20+ (a replica that is not a tab): the same runtime node over simple-peer on
// @roamhq/wrtc, a WebSocket from `ws`, and the disk storage adapter (LevelDB) in a data directory
// that keeps the data and the node id across restarts (DESIGN.md, "Node replica").

/**
 * The Node 20+ entry: `import { startNode } from 'dynamo-browser/node'`, a replica over @roamhq/wrtc with its data on disk (needs the optional peers @roamhq/wrtc, classic-level and ws).
 * @module dynamo-browser/node
 */

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import WebSocket from 'ws';
import { DataDirError, openDiskStorage } from '../adapters/disk/storage';
import type { SocketLike } from '../adapters/webrtc/signaling-client';
import type { PeerLike } from '../adapters/webrtc/transport';
import { createNode, type DynamoNode } from './node';
import type { KeyValue } from './identity';
import { resolveOptions, type StartOptions } from './options';

export type * from './api-types';
export { ClosedError, QuorumError, StorageFullError, ValidationError } from '../core/errors';
export * from '../client/index';
export { DataDirError } from '../adapters/disk/storage';

export interface NodeStartOptions extends StartOptions {
  /** Where the disk engine keeps data and the node id. Default `.dynamo/<room>` under the working directory. */
  dataDir?: string;
}

export async function startNode(options: NodeStartOptions): Promise<DynamoNode> {
  resolveOptions(options); // a bad option is a ValidationError before anything touches the disk
  const dir = resolve(options.dataDir ?? join('.dynamo', String(options.room)));
  const identity = new IdentityFile(join(dir, 'identity.json'), String(options.room));
  const storage = await openDiskStorage(join(dir, 'db'));
  try {
    identity.check();
    return await createNode(options, {
      socket: (url) => new WebSocket(url) as unknown as SocketLike,
      createPeer: (opts) => new SimplePeer({ ...opts, wrtc }) as unknown as PeerLike,
      idStore: identity,
      // One directory holds one node's data: the disk was opened (and locked) before joining.
      openStorage: async (roomId) => {
        identity.checkRoomId(roomId);
        return storage;
      },
      defaultZone: () => hostname(),
      kind: 'replica',
    });
  } catch (err) {
    await storage.close();
    throw err;
  }
}

/** The node id (and the room it belongs to) in a small JSON file, replaced atomically. */
class IdentityFile implements KeyValue {
  private data: Record<string, string> = {};
  constructor(
    private readonly path: string,
    private readonly room: string,
  ) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') this.data[k] = v;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`${path} cannot be read: ${(err as Error).message}`);
    }
  }

  /** A directory serves one room: mixing two rooms' data in one store would corrupt both. */
  check(): void {
    const room = this.data.room;
    if (room !== undefined && room !== this.room) throw new DataDirError(`data directory holds room "${room}", not "${this.room}"`);
  }

  /**
   * A room's name under two secrets (or with and without one) is two rooms: the id slot kept for
   * another room id (runtime/identity.ts names it by the room id) means this data is not this room's.
   */
  checkRoomId(roomId: string): void {
    const other = Object.keys(this.data).find((k) => k.startsWith('dynamo:') && k.endsWith(':node') && k !== `dynamo:${roomId}:node`);
    if (other !== undefined) throw new DataDirError(`data directory holds room "${this.room}" under another secret (or none): a different room`);
  }

  getItem(key: string): string | null {
    return this.data[key] ?? null;
  }

  setItem(key: string, value: string): void {
    this.data = { ...this.data, room: this.room, [key]: value };
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.path);
  }
}
