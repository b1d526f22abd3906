// `npm run fuzz -- --messages N --seed S [--seeds K]`: the peer-protocol fuzzer of test/fuzz/ run longer
// (a live 3-node ring, a hostile peer sending mutated and random messages; see test/fuzz/campaign.ts).
// Runs seeds S, S+1, ... S+K-1 with N messages each, prints one summary line per seed and every
// problem with its seed; exits 1 if any seed found one. Options: --messages (100000) --seed (1)
// --seeds (1). Run with `node --expose-gc` for exact heap numbers (else gc is exposed at run time).

import { parseArgs } from 'node:util';
import { runCampaign, summary } from '../test/fuzz/campaign';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    seeds: { type: 'string', default: '1' },
  },
});

async function main(): Promise<void> {
  const messages = Number(args.messages);
  const first = Number(args.seed);
  const seeds = Number(args.seeds);
  let failed = 0;
  for (let seed = first; seed < first + seeds; seed++) {
    const report = await runCampaign(seed, messages);
    console.log(summary(report));
    if (process.env.FUZZ_VERBOSE) console.log(JSON.stringify({ corpus: report.corpusTypes, passed: report.passed, drops: report.drops }));
    const problems = [...report.problems, ...report.stalls.overBudget.map((o) => `over the stall budget: ${o}`)];
    if (problems.length === 0) continue;
    failed++;
    for (const p of problems) console.log(`  seed ${seed}: ${p}`);
    console.log(`  replay: npm run fuzz -- --seed ${seed} --messages ${messages}`);
  }
  process.exit(failed > 0 ? 1 : 0);
}

void main();
