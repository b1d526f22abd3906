// The peer-protocol fuzzer (the Hardening issue): a live 3-node ring and a hostile peer sending it
// mutated captured traffic and random JSON, several seeds per run; see campaign.ts for what is sent
// and checked. FUZZ_SEED (first seed, 1), FUZZ_SEEDS (how many, 4) and FUZZ_MESSAGES (per seed,
// 25,000) replay or widen it; `npm run fuzz` runs the same campaign longer. A failing seed is named
// with the command that replays it.

import { describe, expect, it } from 'vitest';
import { PASSES_PER_FRAME, runCampaign, STALL_BUDGET_MS, summary } from './campaign';
import { MESSAGE_TYPES } from './mutate';

const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 1);
const SEEDS = Number(process.env.FUZZ_SEEDS ?? (process.env.FUZZ_SEED ? 1 : 4));
const MESSAGES = Number(process.env.FUZZ_MESSAGES ?? 25_000);
/** Generous: the heap holds what the hostile peer legitimately wrote, and collection is lazy. */
const HEAP_GROWTH_MIB = 200;

describe('peer protocol under a hostile peer', () => {
  for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
    it(`seed ${seed}: ${MESSAGES} messages`, { timeout: 60_000 + MESSAGES * 5 }, async () => {
      const report = await runCampaign(seed, MESSAGES);
      console.log(summary(report));
      const replay = `replay: FUZZ_SEED=${seed} FUZZ_MESSAGES=${MESSAGES} npx vitest run --project node test/fuzz/protocol.fuzz.test.ts (or npm run fuzz -- --seed ${seed} --messages ${MESSAGES})`;
      expect(report.problems, replay).toEqual([]);
      expect(report.stalls.overBudget, `turns over ${STALL_BUDGET_MS} ms + ${PASSES_PER_FRAME} x their decode, every time; ${replay}`).toEqual([]);
      if (report.heapGrowthMiB === undefined) console.log('heap growth not checked: gc could not be exposed');
      else expect(report.heapGrowthMiB, replay).toBeLessThan(HEAP_GROWTH_MIB);
      // A fuzzer that never gets a type past the door tests nothing behind it.
      if (MESSAGES >= 10_000) for (const type of MESSAGE_TYPES) expect(report.passed[type] ?? 0, `${type} past the door`).toBeGreaterThan(10);
    });
  }
});
