// Membership benchmarks in the simulator: gossip rounds and seconds for news to reach every node.

import { gossipConvergence } from '../src/sim/gossip';
import { single, summarize, type Row } from './stats';

export function benchMembership(quick: boolean): Row[] {
  const seeds = quick ? 3 : 10;
  const rows: Row[] = [];
  for (const scenario of ['news', 'bootstrap'] as const) {
    for (const nodes of [10, 50, 200]) {
      const runs = Array.from({ length: seeds }, (_, i) => gossipConvergence({ nodes, seed: i + 1, scenario }));
      const what = scenario === 'news' ? 'one change reaches' : 'views that know only themselves converge,';
      rows.push(summarize(`gossip: ${what} ${nodes} nodes (1 s rounds)`, runs.map((r) => r.rounds), 'rounds', `${seeds} seeds`));
      const kb = runs.reduce((a, r) => a + r.bytes, 0) / runs.length / 1024;
      rows.push(single(`gossip: ${what} ${nodes} nodes, bytes sent in total`, kb, 'KiB', 'mean'));
    }
  }
  return rows;
}
