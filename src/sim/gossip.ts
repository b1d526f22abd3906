// Gossip alone, at scale: S membership views exchanging through core/gossip.ts on a virtual clock,
// to count the rounds news takes to reach everyone (paper §4.8.1; the O(log S) claim).
//
// Public API:
//   gossipConvergence({ nodes, seed, scenario?, intervalMs?, maxMs? })
//     -> { nodes, scenario, rounds, ms, messages, bytes, converged }
//   scenario 'news'      a converged ring of S members; one member learns a new change
//            'bootstrap' every node knows only its own join (a room of tabs that just met)
//
// Why without DynamoCore: the question is how fast the epidemic spreads, and S = 200 full nodes
// would spend the run folding rings and opening 40,000 links. Messages here take 1–10 ms, every
// node knows every other (the signaling server introduced them), and none of them pushes on link
// up, so every exchange counted is a gossip round. `rounds` is the elapsed time in gossip intervals.

import { Gossip } from '../core/gossip';
import { MembershipView } from '../core/membership';
import type { GossipMessage } from '../core/protocol/gossip';
import type { Change } from '../core/protocol/membership';
import { VirtualClock } from './clock';
import { seededRandom } from './random';

export interface ConvergenceOptions {
  nodes: number;
  seed: number;
  scenario?: 'news' | 'bootstrap';
  intervalMs?: number;
  /** Give up after this much virtual time. Default 10 minutes. */
  maxMs?: number;
}

export interface ConvergenceResult {
  nodes: number;
  scenario: 'news' | 'bootstrap';
  rounds: number;
  ms: number;
  messages: number;
  bytes: number;
  converged: boolean;
}

export function gossipConvergence(opts: ConvergenceOptions): ConvergenceResult {
  const scenario = opts.scenario ?? 'news';
  const intervalMs = opts.intervalMs ?? 1000;
  const clock = new VirtualClock();
  const rng = seededRandom(opts.seed);
  const net = rng.fork('network');
  const ids = Array.from({ length: opts.nodes }, (_, i) => `g${String(i).padStart(4, '0')}`);
  const joins: Change[] = ids.map((id, i) => ({ node: id, kind: 'join', seq: i + 1, by: id }));
  const views = new Map(ids.map((id, i) => [id, new MembershipView(256, scenario === 'news' ? joins : [joins[i]!])]));
  const stats = { messages: 0, bytes: 0 };
  const nodes = new Map<string, Gossip>();
  for (const id of ids) {
    const others = ids.filter((x) => x !== id);
    nodes.set(
      id,
      new Gossip({
        clock,
        random: rng.fork(id),
        intervalMs,
        view: () => views.get(id)!,
        peers: () => others,
        send: (to: string, msg: GossipMessage) => {
          stats.messages++;
          stats.bytes += JSON.stringify(msg).length;
          clock.setTimer(1 + net.int(10), () => nodes.get(to)!.handle(id, msg));
        },
        onNews: () => {},
      }),
    );
  }
  if (scenario === 'news') views.get(ids[0]!)!.propose('remove', ids.at(-1)!, ids[0]!);
  for (const g of nodes.values()) g.start();
  const digest = () => views.get(ids[0]!)!.digest;
  const converged = () => {
    const d = digest();
    return [...views.values()].every((v) => v.digest === d) && (scenario === 'news' || views.get(ids[0]!)!.changes().length === ids.length);
  };
  const ok = clock.runUntil(converged, { maxTime: opts.maxMs ?? 600_000 });
  for (const g of nodes.values()) g.stop();
  return { nodes: opts.nodes, scenario, rounds: Math.ceil(clock.now() / intervalMs), ms: clock.now(), ...stats, converged: ok };
}
