// Builds a node's parts in construction order (node.ts wires them to the transport and the API).
// Every closure here reads a part that exists by the time it runs: parts are built before any timer
// or message can fire, and services start only in node.ts's attach().

import { randomInt } from '../ports/random';
import type { MembershipView } from './membership';
import type { Actor } from './actor';
import { AntiEntropy } from './antientropy';
import { Background } from './background';
import { GetCoordinator } from './coordinate/get';
import { Minter } from './coordinate/mint';
import { PutCoordinator } from './coordinate/put';
import type { Counters } from './counters';
import { Liveness } from './liveness';
import { Gossip } from './gossip';
import { HintStore } from './handoff';
import { Local } from './local';
import { MintLog } from './minted';
import { eagerWrites, forgetfulMeta, volatileMeta } from './mutants';
import type { NodeConfig, NodeDeps } from './node-config';
import { Placement } from './placement';
import type { Ring } from './protocol/ring';
import { Refusals } from './refusals';
import { ReplicaStore } from './replica';
import { Reaper } from './reaper';
import { Requests } from './requests';
import { encode, type Message } from './protocol/messages';
import type { NodeId } from '../ports/transport';
import type { NodeHooks, Parts } from './parts';
import { SHIPMENT_KEYS, Shipper } from './shipping';
import { tracked } from './tracked-storage';
import { Transfers } from './transfer';

export function build(deps: NodeDeps, config: NodeConfig, counters: Counters, view: () => MembershipView, actor: Actor, hooks: NodeHooks): Parts {
  const p = {} as Parts;
  const self = deps.id;
  const ring = () => view().ring;
  const mutant = deps.mutants;
  const disk = mutant?.has('ack-before-write') ? eagerWrites(deps.storage) : deps.storage;
  // Every key write passes through here, so the Merkle trees follow it whatever path made it.
  p.storage = tracked(disk, config.q, (key, partition, value) => {
    p.aae.stored(key, partition, value);
    if (value !== undefined) p.transfers.noteWrite(partition);
  });
  p.replica = new ReplicaStore(p.storage, config.q, config.versioning);
  p.hints = new HintStore(mutant?.has('hints-in-memory') ? volatileMeta(p.storage, 'hint:') : p.storage, config.versioning.merge);
  p.minted = new MintLog(mutant?.has('forget-minted') ? forgetfulMeta(p.storage, 'minted') : p.storage, config.versioning.merge, () => actor.epoch);
  const send = (to: NodeId, msg: Message) => void transport.send(to, encode(msg));
  // A peer no longer up ends its anti-entropy exchanges at once (the sweep waits for them).
  const onChange = () => {
    hooks.emit('members');
    p.aae.peersChanged();
  };
  p.liveness = new Liveness({ clock: deps.clock, transport: deps.transport, options: config, send, onChange, mutants: mutant });
  // Every send goes through it: a link busy with other messages needs no heartbeat.
  const transport = p.liveness.transport;
  p.transport = transport;
  const health = { healthy: (id: string) => id === self || p.liveness.healthy(id), reachable: (id: string) => id === self || p.liveness.status(id) !== 'down' };
  p.placement = new Placement({ self, n: config.n, ring, health, zones: () => view().zones() });
  // Request ids start at a random point so that a restarted node does not reuse its last life's ids
  // while peers still remember them (duplicate detection of forwarded puts keys on them).
  p.requests = new Requests(transport, deps.clock, config.timeoutMs * 2, 1 + randomInt(deps.random, 2 ** 31), (peer) => p.liveness.timedOut(peer));
  p.refusals = new Refusals(() => deps.clock.now());
  p.shipper = new Shipper(hooks.ship, undefined, p.refusals);
  buildPaths(p, deps, config, counters, actor, hooks);
  buildServices(p, deps, config, ring, view, actor, hooks);
  p.background = new Background({ self, clock: deps.clock, config, parts: p, counters, view, hooks });
  return p;
}

/** The request paths: the local view, minting and the two coordinators. */
function buildPaths(p: Parts, deps: NodeDeps, config: NodeConfig, counters: Counters, actor: Actor, hooks: NodeHooks): void {
  const self = deps.id;
  p.local = new Local({
    self,
    storage: p.storage,
    replica: p.replica,
    hints: p.hints,
    versioning: config.versioning,
    wasReaped: (key, set) => p.reaper.wasReaped(key, set),
    remindReaped: (to, item) => hooks.send(to, { type: 'reaped', id: 0, items: [item] }),
    changed: (key) => hooks.emit('change', key),
    hinted: () => counters.hints.stored++,
  });
  p.minter = new Minter({ clock: deps.clock, replica: p.replica, hints: p.hints, minted: p.minted, local: p.local, versioning: config.versioning, actor: () => actor.name, newEpoch: () => hooks.newEpoch() });
  p.puts = new PutCoordinator({
    self,
    n: config.n,
    w: config.w,
    clock: deps.clock,
    placement: p.placement,
    requests: p.requests,
    minter: p.minter,
    hint: async (owner, key, set) => {
      await p.hints.add(owner, key, set);
      counters.hints.stored++;
    },
    defaultTimeoutMs: config.timeoutMs,
    phases: counters.phases,
    minted: (key, hints) => {
      counters.hints.stored += hints;
      hooks.emit('change', key);
    },
    forwarded: (key) => {
      counters.requests.forwarded++;
      hooks.emit('change', key);
    },
  });
  p.gets = new GetCoordinator({
    self,
    clock: deps.clock,
    placement: p.placement,
    requests: p.requests,
    local: p.local,
    versioning: config.versioning,
    phases: counters.phases,
    repaired: (key) => {
      counters.repairs.read++;
      hooks.emit('repair', key);
    },
  });
}

/** Background services: gossip, key transfer, anti-entropy, reaping and the periodic tick. */
function buildServices(p: Parts, deps: NodeDeps, config: NodeConfig, ring: () => Ring | undefined, view: () => MembershipView, actor: Actor, hooks: NodeHooks): void {
  const self = deps.id;
  p.gossip = new Gossip({
    clock: deps.clock,
    random: deps.random,
    intervalMs: config.gossipIntervalMs,
    view,
    peers: () => deps.transport.peers(),
    send: (to, msg) => hooks.send(to, msg),
    onNews: () => hooks.viewChanged(),
  });
  p.transfers = new Transfers({
    self,
    placement: p.placement,
    w: config.w,
    batchKeys: SHIPMENT_KEYS,
    storage: p.storage,
    replica: p.replica,
    minted: p.minted,
    actor: () => actor.name,
    newEpoch: () => hooks.newEpoch(),
    ring,
    wasRemoved: (id) => view().stateOf(id) === 'removed',
    healthy: (id) => id !== self && p.liveness.healthy(id),
    ship: hooks.ship,
    shipment: p.shipper.limits,
    refusals: p.refusals,
  });
  p.aae = new AntiEntropy({
    self,
    q: config.q,
    clock: deps.clock,
    random: deps.random,
    storage: deps.storage,
    ring,
    placement: p.placement,
    send: (to, msg) => hooks.send(to, msg),
    push: (to, sets) => p.shipper.ship(to, sets),
    onRepair: () => hooks.emit('repair'),
    gapMs: config.aaeGapMs,
    sweepPauseMs: config.aaeSweepPauseMs,
    exchangeTimeoutMs: config.timeoutMs * 2,
    healthy: (id) => p.liveness.healthy(id),
    onHashed: (key, partition, digest, seq) => p.reaper.hashed(key, partition, digest, seq),
    onExchanged: (peer, partition, seq, differing) => p.reaper.exchanged(peer, partition, seq, differing),
  });
  p.reaper = new Reaper({
    self,
    placement: p.placement,
    clock: deps.clock,
    graceMs: deps.mutants?.has('reap-without-grace') ? 0 : config.tombstoneGraceMs,
    intervalMs: config.reapIntervalMs,
    ring,
    storage: p.storage,
    replica: p.replica,
    hasHints: (key) => p.hints.forKey(key).length > 0,
    newEpoch: () => hooks.newEpoch(),
    notify: (to, items) => hooks.send(to, { type: 'reaped', id: 0, items }),
  });
}
