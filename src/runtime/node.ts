// The runtime node: wires signaling, the WebRTC transport and fault injection into the object
// that apps and tests hold (DESIGN.md "Public API"). Environment-agnostic: the browser entry
// (index.ts) and Node tests pass in their own socket and peer factories.

import { FaultyTransport, type Faults } from '../adapters/faults/transport';
import { systemRandom } from '../adapters/system/clock';
import { IdTakenError, SignalingClient, type SocketFactory } from '../adapters/webrtc/signaling-client';
import { WebRtcTransport, type PeerFactory, type WebRtcStats } from '../adapters/webrtc/transport';
import { ValidationError } from '../core/errors';
import { Listeners } from '../ports/emitter';
import type { NodeId, Transport, Unsubscribe } from '../ports/transport';
import { chooseNodeId, freshNodeId, keepNodeId, type KeyValue } from './identity';
import { resolveOptions, type ResolvedOptions, type StartOptions } from './options';

export type MemberStatus = 'up' | 'suspect' | 'down';
export interface Member {
  id: NodeId;
  status: MemberStatus;
  tokens: number[];
}

export interface NodeStats {
  transport: WebRtcStats;
  faultDropped: number;
}

export type NodeEvent = 'members';

export interface RuntimeEnv {
  socket?: SocketFactory;
  createPeer: PeerFactory;
  /** Where a tab keeps its node id across reloads (sessionStorage in a browser). */
  idStore?: KeyValue;
}

export interface DynamoNode {
  readonly id: NodeId;
  readonly options: ResolvedOptions;
  members(): Member[];
  stats(): NodeStats;
  on(event: NodeEvent, fn: () => void): Unsubscribe;
  readonly faults: Faults;
  /** The peer transport, for diagnostics and transport-level tests. */
  readonly transport: Transport;
  stop(): Promise<void>;
}

export async function createNode(options: StartOptions, env: RuntimeEnv): Promise<DynamoNode> {
  const opts = resolveOptions(options);
  const signaling = await joinRoom(opts, env);
  keepNodeId(opts.room, signaling.peer, env.idStore);
  const webrtc = new WebRtcTransport({ signaling, createPeer: env.createPeer, iceServers: opts.iceServers });
  const transport = new FaultyTransport(webrtc, systemRandom);
  return new RuntimeNode(signaling.peer, opts, webrtc, transport);
}

/** Joins the room, stepping aside to a fresh id when ours is taken (unless the user pinned it). */
async function joinRoom(opts: ResolvedOptions, env: RuntimeEnv): Promise<SignalingClient> {
  let { id, pinned } = chooseNodeId(opts.room, opts.nodeId, env.idStore);
  for (let attempt = 1; ; attempt++) {
    try {
      return await SignalingClient.connect({ url: opts.signalingUrl, room: opts.room, peer: id, socket: env.socket });
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
  private seen = new Set<NodeId>();
  private stopped = false;
  private readonly memberEvents = new Listeners<[]>();

  constructor(
    readonly id: NodeId,
    readonly options: ResolvedOptions,
    private readonly webrtc: WebRtcTransport,
    readonly transport: FaultyTransport,
  ) {
    transport.onPeerUp((p) => {
      this.seen.add(p);
      this.memberEvents.emit();
    });
    transport.onPeerDown(() => this.memberEvents.emit());
  }

  get faults(): Faults {
    return this.transport;
  }

  members(): Member[] {
    const up = new Set(this.transport.peers());
    const others = [...this.seen].sort().map((id): Member => ({ id, status: up.has(id) ? 'up' : 'down', tokens: [] }));
    return [{ id: this.id, status: 'up', tokens: [] }, ...others];
  }

  stats(): NodeStats {
    return { transport: this.webrtc.stats(), faultDropped: this.transport.dropped };
  }

  on(event: NodeEvent, fn: () => void): Unsubscribe {
    if (event !== 'members') throw new ValidationError(`unknown event "${String(event)}"`);
    return this.memberEvents.add(fn);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.transport.close();
    this.memberEvents.clear();
  }
}
