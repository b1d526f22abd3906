// (g) The costliest mutant, in a file of its own so Vitest runs it beside the others: the minted-dot
// records forgotten at restart (KV679 by another road) need a fallback that minted for a key, handed
// the hint off, restarted, and minted for the key again without a context; the swarm reissues a dot.

import { describe, expect, it } from 'vitest';
import { firstCatch, SEEDS_TO_CATCH } from './mutant-budgets';

describe('mutants: forget-minted', () => {
  it('is caught within its budget', async () => {
    const budget = 2 * SEEDS_TO_CATCH['forget-minted'] + 2;
    expect(await firstCatch('forget-minted', budget), `forget-minted not caught within ${budget} seeds`).toBeDefined();
  }, 1_800_000);
});
