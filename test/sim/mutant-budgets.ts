// Each mutant's seed budget for the mutant tests (mutants.test.ts, mutants-forget.test.ts), and the
// search for the seed that catches it.

import type { Mutant } from '../../src/core/mutants';
import { runSwarm } from '../../src/sim/swarm';

export const START = 1000;

/** Seeds the swarm needed to catch each mutant, from START (measured; see the README). */
export const SEEDS_TO_CATCH: Record<Mutant, number> = {
  'ack-before-write': 1,
  'hints-in-memory': 1,
  'forget-minted': 146,
  'merge-drops-sibling': 1,
  'never-suspect': 8,
  'ignore-removals': 2,
  'reap-without-grace': 64,
};

/** The first seed that fails with the mutant and passes without it (a seed failing both ways is no catch). */
export async function firstCatch(mutant: Mutant, budget: number): Promise<number | undefined> {
  for (let seed = START; seed < START + budget; seed++) {
    if (!(await runSwarm({ seed, mutant })).ok && (await runSwarm({ seed })).ok) return seed;
  }
  return undefined;
}
