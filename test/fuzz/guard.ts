// What the hostile peer may send although it is well formed. A membership history is trusted input
// from members: a well-formed change that makes someone join, leave or be removed would legitimately
// move partitions, so such gossip is withheld (counted, not sent). Changes that leave members and
// ring as they are (a second join of a member, a leave of a stranger, odd sequence numbers) go
// through, up to a budget per run: every accepted change stays in the history for good, and capping
// history growth is another piece of work.

import type { Decoded } from '../../src/core/protocol/messages';
import { MembershipView } from '../../src/core/membership';
import type { Change } from '../../src/core/protocol/membership';

export class Guard {
  withheld = 0;
  accepted = 0;

  constructor(
    private readonly q: number,
    private readonly history: () => readonly Change[],
    private budget = 200,
  ) {}

  /** False when the message must not be sent. */
  allows(decoded: Decoded): boolean {
    if (!decoded.ok || decoded.msg.type !== 'gossip-state') return true;
    const known = this.history();
    const view = new MembershipView(this.q, known);
    const before = { members: view.members().join(), owners: view.ring?.owners.join() };
    if (!view.merge(decoded.msg.changes)) return true;
    const same = view.members().join() === before.members && view.ring?.owners.join() === before.owners;
    if (!same || this.budget <= 0) {
      this.withheld++;
      return false;
    }
    this.budget--;
    this.accepted++;
    return true;
  }
}
