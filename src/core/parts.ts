// The parts a node is made of (built by node-build.ts in construction order) and the hooks their
// closures call back into node.ts with: the one shape node.ts, node-build.ts and background.ts share.

import type { Storage } from '../ports/storage';
import type { NodeId, Transport } from '../ports/transport';
import type { AntiEntropy } from './antientropy';
import type { Background } from './background';
import type { GetCoordinator } from './coordinate/get';
import type { Minter } from './coordinate/mint';
import type { PutCoordinator } from './coordinate/put';
import type { Liveness } from './liveness';
import type { Gossip } from './gossip';
import type { HintStore } from './handoff';
import type { Local } from './local';
import type { MintLog } from './minted';
import type { NodeEvent } from './node-config';
import type { Placement } from './placement';
import type { Change } from './protocol/membership';
import type { Message } from './protocol/messages';
import type { Reaper } from './reaper';
import type { ReplicaStore } from './replica';
import type { Requests } from './requests';
import type { Refusals } from './refusals';
import type { SendShipment, Shipper } from './shipping';
import type { Transfers } from './transfer';

/** The parts of a node, in construction order. */
export interface Parts {
  /** The transport every send goes through (liveness.ts counts sends on it). */
  transport: Transport;
  storage: Storage;
  replica: ReplicaStore;
  hints: HintStore;
  minted: MintLog;
  liveness: Liveness;
  placement: Placement;
  requests: Requests;
  local: Local;
  minter: Minter;
  puts: PutCoordinator;
  gets: GetCoordinator;
  /** Sets peers refused to merge, left out of shipments to them while unchanged. */
  refusals: Refusals;
  shipper: Shipper;
  gossip: Gossip;
  transfers: Transfers;
  aae: AntiEntropy;
  reaper: Reaper;
  background: Background;
}

/** What node-build.ts's closures call back into. */
export interface NodeHooks {
  send(to: NodeId, msg: Message): void;
  emit(event: NodeEvent, key?: string): void;
  viewChanged(): void;
  newEpoch(): Promise<void>;
  propose(kind: Change['kind'], node: NodeId): Promise<void>;
  ship: SendShipment;
  isClosed(): boolean;
  isLeaving(): boolean;
}

