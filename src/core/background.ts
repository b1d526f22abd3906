// A node's periodic tick: offers hints to owners that are back (paper §4.6), adopts hints of members
// that left, retries key transfers (§4.9), runs reaping rounds, and removes members down too long.
//
// Public API
//   new Background(deps)
//   .start()  .stop()
//   .deliverHints(owner)            offer `owner` its hints now (a link to it came up)
//   .adoptHints(owner)              the owner left or was removed: its hints become ours to move

import type { Clock } from '../ports/clock';
import type { NodeId } from '../ports/transport';
import { autoRemovals } from './liveness';
import type { MembershipView } from './membership';
import type { Counters } from './counters';
import type { NodeConfig } from './node-config';
import type { HintStore } from './handoff';
import type { Reaper } from './reaper';
import type { ReplicaStore } from './replica';
import type { Shipper } from './shipping';
import type { Transfers } from './transfer';
import type { Liveness } from './liveness';

export interface BackgroundDeps {
  self: NodeId;
  clock: Clock;
  config: NodeConfig;
  parts: { hints: HintStore; replica: ReplicaStore; transfers: Transfers; reaper: Reaper; liveness: Liveness; shipper: Shipper };
  counters: Counters;
  view(): MembershipView;
  hooks: { isClosed(): boolean; isLeaving(): boolean; propose(kind: 'remove', node: NodeId): Promise<void> };
}

export class Background {
  private cancel: () => void = () => {};

  constructor(private readonly deps: BackgroundDeps) {}

  start(): void {
    const every = Math.min(this.deps.config.handoffIntervalMs, this.deps.config.transferIntervalMs);
    this.cancel = this.deps.clock.setTimer(every, () => {
      if (this.deps.hooks.isClosed()) return;
      this.tick();
      this.start();
    });
  }

  stop(): void {
    this.cancel();
  }

  deliverHints(owner: NodeId): void {
    const { parts, hooks, self, counters } = this.deps;
    if (hooks.isClosed() || owner === self) return;
    // A failed read or send leaves the hints in place; the next tick tries again.
    parts.hints.deliver(owner, parts.shipper).then((n) => void (counters.hints.delivered += n), () => undefined);
  }

  async adoptHints(owner: NodeId): Promise<void> {
    const { hints, replica, transfers } = this.deps.parts;
    const n = await hints.adopt(owner, (key, set) => replica.merge(key, set));
    if (n > 0) {
      transfers.queueAll();
      void transfers.run();
    }
  }

  private tick(): void {
    const { parts, config, view } = this.deps;
    for (const owner of parts.hints.owners()) {
      if (!view().isMember(owner)) void this.adoptHints(owner).catch(() => undefined);
      else if (parts.liveness.healthy(owner)) this.deliverHints(owner);
    }
    if (parts.transfers.pending() > 0) void parts.transfers.run();
    if (config.antiEntropy && config.tombstoneGraceMs > 0 && parts.reaper.due()) void parts.reaper.round().catch(() => undefined);
    this.autoRemove();
  }

  /** Removes members down longer than autoRemoveAfterMs (failure.ts says who may, and whom). */
  private autoRemove(): void {
    const { self, parts, config, view, hooks } = this.deps;
    if (hooks.isLeaving()) return;
    for (const m of autoRemovals(self, view().members(), parts.liveness, config.autoRemoveAfterMs)) {
      void hooks.propose('remove', m).catch(() => undefined);
    }
  }
}
