// `npm run sim -- --seeds N [--start S] [--ops K]`: the mixed-fault simulation (paper §4.6, §6) over many
// seeds, with a summary; a failing seed is shrunk to fewer faults and printed with its replay command.
//
// Options: --seeds N (100)  --start S (0)  --ops K client calls per seed (400)  --nodes (5)
//          --clients (6)  --keys (12)  --gap mean ms between faults (150)  --max-crashed (2)
//          --drop i,j  (leave out faults of the schedule, for replays)
//          --versioning lww  (the negative control: the checker must report lost writes)
//          --w any|N  (every write with this w; 'any' acknowledges degraded writes)
//          --no-shrink  --verbose (a line per seed)
//          --mutants     lists the deliberate bugs (src/core/mutants.ts)
//          --mutant NAME the swarm with every node running that bug: stops at, and fails with, the
//                        first seed that catches it (exit 1); exit 0 means the simulator missed it
//          --faults all  the swarm (src/sim/swarm.ts): every fault class (network, crashes, a misbehaving
//                        disk, skewed and jumping clocks, late timers), each seed drawing its own mix,
//                        checked for lost writes, reissued dots, acknowledgements before durability and
//                        liveness once the faults stop; --ops defaults to 300 there
//
// Why shrink: a failing simulation should print its seed and the smallest schedule that still
// fails. The schedule is generated up front from the seed, so dropping faults one at a time and
// rerunning the same seed is a cheap greedy minimization; each rerun is exact (the run is seeded).

import { parseArgs } from 'node:util';
import { formatFailure, runMixed, type MixedRunOptions, type MixedRunResult } from '../src/sim/workload';
import { isMutant } from '../src/core/mutants';
import { listMutants, runSwarmCampaign } from './sim-swarm';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    start: { type: 'string', default: '0' },
    ops: { type: 'string' },
    nodes: { type: 'string' },
    clients: { type: 'string' },
    keys: { type: 'string' },
    drop: { type: 'string' },
    gap: { type: 'string' },
    'max-crashed': { type: 'string' },
    versioning: { type: 'string', default: 'dvv' },
    w: { type: 'string' },
    'no-shrink': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    faults: { type: 'string' },
    mutants: { type: 'boolean', default: false },
    mutant: { type: 'string' },
  },
});

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

function optionsFor(seed: number): MixedRunOptions {
  return {
    seed,
    ops: num(args.ops),
    nodes: num(args.nodes),
    clients: num(args.clients),
    keys: num(args.keys),
    faultGapMs: num(args.gap),
    maxCrashed: num(args['max-crashed']),
    drop: args.drop ? args.drop.split(',').map(Number) : undefined,
    versioning: args.versioning === 'lww' ? 'lww' : 'dvv',
    w: args.w === undefined || args.w === 'any' ? args.w : Number(args.w),
  };
}

interface Totals {
  calls: number;
  acked: number;
  lost: number;
  unackedFound: number;
  maxSiblings: number;
  virtualMs: number;
  steps: number;
  messages: number;
}

function add(t: Totals, r: MixedRunResult): void {
  t.calls += r.calls;
  t.acked += r.report.acknowledged;
  t.lost += r.report.lost.length;
  t.unackedFound += r.report.unacknowledgedFound;
  t.maxSiblings = Math.max(t.maxSiblings, r.report.maxSiblings);
  t.virtualMs += r.virtualMs;
  t.steps += r.steps;
  t.messages += r.messages;
}

/** Greedy: drop each applied fault in turn, keep the drop if the seed still fails. */
async function shrink(opts: MixedRunOptions, failing: MixedRunResult): Promise<MixedRunOptions> {
  let best = opts;
  for (const { index } of failing.schedule) {
    const trial = { ...best, drop: [...(best.drop ?? []), index] };
    if (!(await runMixed(trial)).report.ok) best = trial;
  }
  return best;
}

async function report(opts: MixedRunOptions, first: MixedRunResult): Promise<void> {
  console.log(`\n${formatFailure(await runMixed({ ...opts, trace: 30 }), opts)}`);
  if (args['no-shrink'] || first.schedule.length === 0) return;
  const small = await shrink(opts, first);
  if (small === opts) return console.log('(no fault could be dropped: the schedule above is minimal)');
  console.log(`\nshrunk to ${first.schedule.length - (small.drop?.length ?? 0) + (opts.drop?.length ?? 0)} faults:`);
  console.log(formatFailure(await runMixed({ ...small, trace: 30 }), small));
}

async function main(): Promise<void> {
  const seeds = Number(args.seeds);
  const start = Number(args.start);
  const totals: Totals = { calls: 0, acked: 0, lost: 0, unackedFound: 0, maxSiblings: 0, virtualMs: 0, steps: 0, messages: 0 };
  const failed: number[] = [];
  const began = performance.now();
  for (let seed = start; seed < start + seeds; seed++) {
    const opts = optionsFor(seed);
    const r = await runMixed(opts);
    add(totals, r);
    if (args.verbose) console.log(`seed ${seed}: ${r.report.ok ? 'ok' : 'FAIL'} acked ${r.report.acknowledged} faults ${r.applied}`);
    if (!r.report.ok) {
      failed.push(seed);
      await report(opts, r);
    }
  }
  const wallS = (performance.now() - began) / 1000;
  console.log(
    [
      `\n${seeds - failed.length}/${seeds} seeds passed (${start}..${start + seeds - 1})` + (failed.length ? `; FAILED: ${failed.join(' ')}` : ''),
      `client calls ${totals.calls}, acknowledged puts ${totals.acked}, lost ${totals.lost}, unacknowledged found ${totals.unackedFound}, max siblings ${totals.maxSiblings}`,
      `virtual time ${(totals.virtualMs / 1000).toFixed(0)} s, ${totals.steps} events, ${totals.messages} messages`,
      `wall ${wallS.toFixed(1)} s: ${(totals.calls / wallS).toFixed(0)} client calls/s, ${(totals.steps / wallS).toFixed(0)} events/s, ${((wallS * 1000) / seeds).toFixed(0)} ms/seed`,
    ].join('\n'),
  );
  process.exitCode = failed.length ? 1 : 0;
}

if (args.mutants) {
  listMutants();
} else if (args.mutant !== undefined && !isMutant(args.mutant)) {
  console.error(`unknown mutant ${args.mutant}; --mutants lists them`);
  process.exitCode = 2;
} else if (args.faults === 'all' || args.mutant !== undefined) {
  process.exitCode = await runSwarmCampaign({
    seeds: Number(args.seeds),
    start: Number(args.start),
    ops: num(args.ops),
    drop: args.drop ? args.drop.split(',').map(Number) : undefined,
    shrink: !args['no-shrink'],
    verbose: args.verbose,
    ...(args.mutant !== undefined && isMutant(args.mutant) ? { mutant: args.mutant } : {}),
  });
} else if (args.faults !== undefined) {
  console.error(`--faults takes 'all' (got ${args.faults})`);
  process.exitCode = 2;
} else {
  await main();
}
