// Coordinating a get (paper §4.5 quorum reads, §4.6 read repair; riak_kv_get_fsm): the node that
// receives it asks the key's first N healthy nodes itself (a get needs no minting, so no forward),
// answers once R did, and sends the merged set to every replica that answered with less.
//
// Public API
//   new GetCoordinator(deps)
//   .get(key, r, timeoutMs): Promise<SiblingSet>      the merge of R or more answers
//   staleAnswers(merged, answers, plan): Target[]     pure: who needs a read repair, with its hint

import type { Clock } from '../../ports/clock';
import type { Json } from '../../ports/storage';
import type { NodeId } from '../../ports/transport';
import type { Local } from '../local';
import { mergeAll } from '../local';
import type { Phases } from '../phases';
import type { Placement, Target } from '../placement';
import { setToJson, type Versioning } from '../replica';
import type { Requests } from '../requests';
import * as versions from '../versions';
import type { SiblingSet } from '../versions';
import { Collector, required } from './collect';

export interface GetDeps {
  self: NodeId;
  clock: Clock;
  placement: Pick<Placement, 'targets' | 'walk'>;
  requests: Pick<Requests, 'send'>;
  local: Pick<Local, 'view' | 'apply'>;
  versioning: Versioning;
  /** A replica got a read repair (counted, and the node's 'repair' event). */
  repaired(key: string): void;
  phases: Pick<Phases, 'start' | 'since'>;
}

type Answer = { from: NodeId; value: SiblingSet | undefined };

export class GetCoordinator {
  constructor(private readonly deps: GetDeps) {}

  async get(key: string, r: number, timeoutMs: number): Promise<SiblingSet> {
    const d = this.deps;
    const need = required(r, d.placement.walk(key).length);
    const plan = d.placement.targets(key, need);
    const collector = new Collector<SiblingSet | undefined>(need, plan.length, d.clock, timeoutMs, 'get');
    // One message object for every target: Requests serializes it once.
    const msg = { type: 'get' as const, key };
    const sent = d.phases.start();
    for (const t of plan) {
      if (t.node === d.self) {
        d.local.view(key).then((s) => this.readHere(collector, s, sent), () => collector.failed());
        continue;
      }
      d.requests.send(
        t.node,
        msg,
        (reply) => {
          const set = reply.type === 'get-reply' ? parseSet(reply.set) : null;
          if (set === null) collector.failed();
          else collector.ok(t.node, set);
        },
        () => collector.failed(),
        timeoutMs,
      );
    }
    const answers = await collector.done;
    d.phases.since('get.quorum', sent);
    const merged = mergeAll(versions.empty(), answers.flatMap((a) => (a.value ? [a.value] : [])), d.versioning);
    this.repair(key, merged, answers, plan, timeoutMs);
    return merged;
  }

  private readHere(collector: Collector<SiblingSet | undefined>, set: SiblingSet, sent: number): void {
    this.deps.phases.since('get.local', sent);
    collector.ok(this.deps.self, set);
  }

  private repair(key: string, merged: SiblingSet, answers: Answer[], plan: Target[], timeoutMs: number): void {
    const d = this.deps;
    const stale = staleAnswers(merged, answers, plan);
    if (stale.length === 0) return;
    const msg = { type: 'put' as const, key, set: setToJson(merged) };
    for (const { node, hintFor } of stale) {
      d.repaired(key);
      if (node === d.self) void d.local.apply(key, merged, hintFor).catch(() => undefined);
      else d.requests.send(node, hintFor ? { ...msg, hintFor } : msg, () => {}, () => {}, timeoutMs);
    }
  }
}

export function staleAnswers(merged: SiblingSet, answers: readonly Answer[], plan: readonly Target[]): Target[] {
  if (versions.isEmpty(merged)) return [];
  const out: Target[] = [];
  for (const { from, value } of answers) {
    if (value && versions.equals(value, merged)) continue;
    const hintFor = plan.find((p) => p.node === from)?.hintFor;
    out.push(hintFor ? { node: from, hintFor } : { node: from });
  }
  return out;
}

function parseSet(raw: Json | null): SiblingSet | null {
  try {
    return raw === null ? versions.empty() : versions.fromJson(raw);
  } catch {
    return null;
  }
}
