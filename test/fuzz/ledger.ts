// The fuzzer's books: what each message sent to a member should come to (a drop counted by the node,
// a reply, or nothing because it was validly applied) and what the hostile peer received back, so
// that after a run the drops and replies account for every message sent.
//
// Expectations per message, from the message alone and the member's view at delivery:
//   refused at the door (decode fails)                 a drop with the door's reason
//   put / get / fwd-put / handoff                      one reply with its id, or a drop (and a handoff
//                                                      also a drop per set refused for good)
//   aae                                                one aae reply with its exchange id, or a drop
//                                                      (the hostile peer replicates nothing)
//   put-ack / get-reply / fwd-put-reply / handoff-ack  a drop: no member ever asked the hostile peer
//   reaped                                             a drop: the hostile peer is no primary
//   gossip                                             an ack when digests are equal and it asked for
//                                                      one, the history when they differ, else nothing
//   gossip-state                                       applied (the guard let through only changes
//                                                      that move nothing): nothing counted

import type { Decoded } from '../../src/core/protocol/messages';

const REQUESTS = new Set(['put', 'get', 'fwd-put', 'handoff']);
const REPLIES = new Set(['put-ack', 'get-reply', 'fwd-put-reply', 'handoff-ack']);
/** Reasons decode() gives: a drop with one of these was refused at the door. */
export function isDoorReason(reason: string): boolean {
  return ['too-large', 'too-deep', 'too-many-values', 'bad-json', 'no-type', 'unknown-type'].includes(reason) || reason.startsWith('bad-');
}

export class Ledger {
  sent = 0;
  malformed = 0;
  /** Messages per type that passed the door (for coverage). */
  readonly passed: Record<string, number> = Object.create(null) as Record<string, number>;
  /** Messages that can only be dropped: replies nobody asked for, reap notices from no primary. */
  private strays = 0;
  private expectedAcks = 0;
  private expectedStates = 0;
  private acks = 0;
  private states = 0;
  /** Requests (member + id) and exchanges (member + x) still owed an answer, by count. */
  private readonly owed = new Map<string, number>();
  private owedCount = 0;
  private readonly unexpected: string[] = [];

  /** A message was sent to `to`; `digest` is that member's membership digest at delivery. */
  sent1(to: string, decoded: Decoded, digest: string): void {
    this.sent++;
    if (!decoded.ok) return void this.malformed++;
    const m = decoded.msg;
    this.passed[m.type] = (this.passed[m.type] ?? 0) + 1;
    if (REQUESTS.has(m.type)) this.owe(`${to}\u0000id\u0000${m.id}`);
    else if (m.type === 'aae') this.owe(`${to}\u0000x\u0000${m.x}`);
    else if (REPLIES.has(m.type) || m.type === 'reaped') this.strays++;
    else if (m.type === 'gossip') {
      if (m.digest !== digest) this.expectedStates++;
      else if (!m.ack) this.expectedAcks++;
    }
  }

  /** A frame a member sent the hostile peer. */
  received(from: string, raw: string): void {
    const m = JSON.parse(raw.slice(8)) as { type: string; id: number; x?: number; ack?: boolean; reply?: boolean };
    if (REPLIES.has(m.type)) this.settle(`${from}\u0000id\u0000${m.id}`, raw);
    else if (m.type === 'aae') this.settle(`${from}\u0000x\u0000${m.x}`, raw);
    else if (m.type === 'gossip' && m.ack) this.acks++;
    else if (m.type === 'gossip-state' && m.reply) this.states++;
  }

  /** Drops the members should have counted for the hostile peer. */
  expectedDrops(): number {
    return this.malformed + this.strays + this.owedCount;
  }

  /**
   * What does not add up, given the drops members counted for the hostile peer, those refused at the
   * door, and the sets refused inside acked handoffs (counted on top of the ack, from any peer);
   * empty when all does.
   */
  problems(drops: number, doorDrops: number, refusedSets: number): string[] {
    const out = [...this.unexpected];
    if (doorDrops !== this.malformed) out.push(`${this.malformed} messages refused by decode(), ${doorDrops} door drops counted`);
    if (drops < this.expectedDrops() || drops > this.expectedDrops() + refusedSets) {
      out.push(`${drops} drops counted, ${this.expectedDrops()} expected (${this.malformed} malformed, ${this.strays} stray replies and notices, ${this.owedCount} requests unanswered)`);
    }
    if (this.acks !== this.expectedAcks) out.push(`${this.acks} gossip acks, ${this.expectedAcks} expected`);
    if (this.states !== this.expectedStates) out.push(`${this.states} histories sent, ${this.expectedStates} expected`);
    return out;
  }

  private owe(key: string): void {
    this.owed.set(key, (this.owed.get(key) ?? 0) + 1);
    this.owedCount++;
  }

  private settle(key: string, raw: string): void {
    const n = this.owed.get(key) ?? 0;
    if (n === 0) {
      if (this.unexpected.length < 5) this.unexpected.push(`a reply nothing asked for: ${raw.slice(0, 200)}`);
      return;
    }
    if (n === 1) this.owed.delete(key);
    else this.owed.set(key, n - 1);
    this.owedCount--;
  }
}
