// (g) Mutants (src/core/mutants.ts; issue 17, item 7): every node of the swarm runs one deliberate
// bug, and some seed within the mutant's budget must fail. A simulator that cannot catch these
// cannot be trusted when it passes. Budgets: twice the seeds the swarm needed when this was written
// (counted from seed 1000, `npm run sim -- --mutant NAME --seeds N --start 1000`), plus two; the run
// stops at the first catching seed, so a budget costs nothing while the mutant is caught early.

import { describe, expect, it } from 'vitest';
import { MUTANTS } from '../../src/core/mutants';
import { firstCatch, SEEDS_TO_CATCH, START } from './mutant-budgets';

describe('mutants: the swarm catches every deliberate bug', () => {
  it('names each mutant with a budget', () => {
    expect(Object.keys(SEEDS_TO_CATCH).sort()).toEqual([...MUTANTS].sort());
  });

  // forget-minted, the costliest (146 seeds), runs in mutants-forget.test.ts: another worker.
  it.each(MUTANTS.filter((m) => m !== 'forget-minted'))('%s is caught within its budget', async (mutant) => {
    const budget = 2 * SEEDS_TO_CATCH[mutant] + 2;
    const seed = await firstCatch(mutant, budget);
    expect(seed, `mutant ${mutant} not caught by seeds ${START}..${START + budget - 1}: the simulator got weaker`).toBeDefined();
  }, 900_000);
});
