// Outstanding requests to peers: pairs each reply with its request, and fails requests whose peer
// went down or never answered, so callers count them against their quorum at once.
//
// Public API
//   new Requests(transport, clock, lifetimeMs, firstId?, onTimeout?)
//                                                onTimeout(peer): a request went unanswered
//   .send(to, msg, onReply, onFail, lifetimeMs?) msg without id; onFail runs at most once; a request
//                                                lives `lifetimeMs` (its own deadline) or the default. A message
//                                                object sent to several peers is encoded once, so it
//                                                must not be changed after it was sent
//   .reply(from, msg)                            true when it matched a live request from that peer
//   .peerDown(peer)  .closeAll()

import type { Clock } from '../ports/clock';
import type { NodeId, Transport } from '../ports/transport';
import { checksum, sealed, type Message } from './protocol/messages';

type Reply = Extract<Message, { type: 'put-ack' | 'get-reply' | 'fwd-put-reply' | 'handoff-ack' }>;
type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, 'id'> : never) : never;

interface Entry {
  to: NodeId;
  onReply: (msg: Reply) => void;
  onFail: () => void;
  cancel: () => void;
}

export class Requests {
  private pending = new Map<number, Entry>();
  /**
   * The last message sent, its JSON without the id, and the checksum of that JSON up to its closing
   * brace: a put to N replicas is serialized and summed once, each copy adds only its id.
   */
  private lastMsg: Outgoing | undefined;
  private lastJson = '';
  private lastSum = 0;

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
    private next = 1,
    private readonly onTimeout: (peer: NodeId) => void = () => {},
  ) {}

  send(to: NodeId, msg: Outgoing, onReply: (m: Reply) => void, onFail: () => void, lifetimeMs = this.lifetimeMs): void {
    const id = this.next++;
    const cancel = this.clock.setTimer(lifetimeMs, () => {
      this.onTimeout(to);
      this.fail(id);
    });
    this.pending.set(id, { to, onReply, onFail, cancel });
    if (!this.transport.send(to, this.encode(msg, id))) this.fail(id);
  }

  /** Exactly encode({ ...msg, id }): the id goes last, spliced into the text instead of a copy of msg. */
  private encode(msg: Outgoing, id: number): string {
    if (msg !== this.lastMsg) {
      this.lastMsg = msg;
      this.lastJson = JSON.stringify(msg);
      this.lastSum = checksum(this.lastJson, undefined, 0, this.lastJson.length - 1);
    }
    const tail = `,"id":${id}}`;
    return sealed(checksum(tail, this.lastSum), this.lastJson.slice(0, -1) + tail);
  }

  reply(from: NodeId, msg: Reply): boolean {
    const entry = this.pending.get(msg.id);
    // A reply must come from the peer asked: ids are per sender, so another peer's id is not ours.
    if (!entry || entry.to !== from) return false;
    this.pending.delete(msg.id);
    entry.cancel();
    entry.onReply(msg);
    return true;
  }

  peerDown(peer: NodeId): void {
    for (const [id, e] of this.pending) if (e.to === peer) this.fail(id);
  }

  closeAll(): void {
    for (const id of [...this.pending.keys()]) this.fail(id);
  }

  size(): number {
    return this.pending.size;
  }

  private fail(id: number): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.cancel();
    entry.onFail();
  }
}
