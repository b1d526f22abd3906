// startNode for browser tabs: the runtime node with simple-peer's browser bundle and the tab's storage.

/**
 * The browser entry: `import { startNode } from 'dynamo-browser'` in a bundled app (a tab is a node: WebRTC to its peers, IndexedDB underneath).
 * @module dynamo-browser
 */

import SimplePeer from 'simple-peer/simplepeer.min.js';
import { idbName, openIdbStorage } from '../adapters/idb/storage';
import type { PeerLike } from '../adapters/webrtc/transport';
import { profileZone } from './identity';
import { createNode, type DynamoNode } from './node';
import type { StartOptions } from './options';

export type * from './api-types';
export { optionsFromUrl } from './options';
export { pageIceConfig, parseIceConfig, type Fetcher, type IceConfig, type IceTransportPolicy } from './ice';
export { ClosedError, QuorumError, StorageFullError, ValidationError } from '../core/errors';
export * from '../client/index';

export async function startNode(options: StartOptions): Promise<DynamoNode> {
  const node = await createNode(options, {
    createPeer: (opts) => new SimplePeer(opts) as unknown as PeerLike,
    idStore: typeof sessionStorage === 'undefined' ? undefined : sessionStorage,
    openStorage: (room, nodeId) => openIdbStorage(idbName(room, nodeId)),
    defaultZone: () => profileZone(typeof localStorage === 'undefined' ? undefined : localStorage),
  });
  if (typeof document !== 'undefined') {
    // Peers give a hidden tab more time before calling it down (see core/liveness.ts).
    const report = () => node.setHidden(document.visibilityState === 'hidden');
    document.addEventListener('visibilitychange', report);
    report();
    // A closing or frozen tab hands its hints to live nodes while its links are still open (core/
    // farewell.ts). Registered before any page's own pagehide handler (which may stop the node).
    addEventListener('pagehide', () => void node.handOffHints());
    document.addEventListener('freeze', () => void node.handOffHints());
  }
  return node;
}
