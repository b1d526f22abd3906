// (g) Mutants (src/core/mutants.ts; issue 17, item 7): every node of the swarm runs one deliberate
// bug, and some seed within the mutant's budget must fail. A simulator that cannot catch these
// cannot be trusted when it passes. Budgets: twice the seeds the swarm needed when this was written
// (counted from seed 1000, `npm run sim -- --mutant NAME --seeds N --start 1000`), plus two; the run
// stops at the first catching seed, so a budget costs nothing while the mutant is caught early.

import { describe, expect, it } from 'vitest';
import type { Mutant } from '../../src/core/mutants';
import { MUTANTS } from '../../src/core/mutants';
import { runSwarm } from '../../src/sim/swarm';

const START = 1000;

/** Seeds the swarm needed to catch each mutant, from START (measured; see the README). */
const SEEDS_TO_CATCH: Record<Mutant, number> = {
  'ack-before-write': 1,
  'hints-in-memory': 1,
  'forget-minted': 72,
  'merge-drops-sibling': 1,
  'never-suspect': 8,
  'ignore-removals': 2,
  'reap-without-grace': 33,
};

/** The first seed that fails with the mutant and passes without it (a seed failing both ways is no catch). */
async function firstCatch(mutant: Mutant, budget: number): Promise<number | undefined> {
  for (let seed = START; seed < START + budget; seed++) {
    if (!(await runSwarm({ seed, mutant })).ok && (await runSwarm({ seed })).ok) return seed;
  }
  return undefined;
}

describe('mutants: the swarm catches every deliberate bug', () => {
  it('names each mutant with a budget', () => {
    expect(Object.keys(SEEDS_TO_CATCH).sort()).toEqual([...MUTANTS].sort());
  });

  it.each([...MUTANTS])('%s is caught within its budget', async (mutant) => {
    const budget = 2 * SEEDS_TO_CATCH[mutant] + 2;
    const seed = await firstCatch(mutant, budget);
    expect(seed, `mutant ${mutant} not caught by seeds ${START}..${START + budget - 1}: the simulator got weaker`).toBeDefined();
  }, 900_000);
});
