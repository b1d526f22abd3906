// `npm run sim -- --faults all --seeds N [--start S] [--ops K]`: the swarm campaign (src/sim/swarm.ts).
// Each seed prints its fault profile with --verbose; a failing seed prints its report, its schedule,
// its replay command, and (unless --no-shrink) the schedule shrunk greedily, fault by fault.

import { MUTANT_BUGS, MUTANTS, type Mutant } from '../src/core/mutants';
import { formatProfile, formatSwarmFailure, runSwarm, shrinkSwarm, swarmReplay, type SwarmOptions, type SwarmResult } from '../src/sim/swarm';

export interface CampaignOptions {
  seeds: number;
  start: number;
  ops?: number;
  drop?: number[];
  shrink: boolean;
  verbose: boolean;
  /** A mutant campaign: stop at the first seed that catches it (and fail, printing that seed). */
  mutant?: Mutant;
}

async function report(opts: SwarmOptions, first: SwarmResult, doShrink: boolean): Promise<void> {
  console.log(`\n${formatSwarmFailure(await runSwarm({ ...opts, trace: 30 }), opts)}`);
  if (!doShrink || first.schedule.length === 0) return;
  const small = await shrinkSwarm(opts, first);
  if (small === opts) return console.log('(no fault could be dropped: the schedule above is minimal)');
  console.log(`\nshrunk (dropped ${(small.drop?.length ?? 0) - (opts.drop?.length ?? 0)} faults):`);
  console.log(formatSwarmFailure(await runSwarm({ ...small, trace: 30 }), small));
}

/** Runs the campaign and prints a summary; resolves to the process exit code. */
export async function runSwarmCampaign(c: CampaignOptions): Promise<number> {
  const failed: number[] = [];
  let virtualMs = 0;
  let steps = 0;
  let maxConverge = 0;
  const began = performance.now();
  for (let seed = c.start; seed < c.start + c.seeds; seed++) {
    const opts: SwarmOptions = { seed, ...(c.ops === undefined ? {} : { ops: c.ops }), ...(c.drop ? { drop: c.drop } : {}), ...(c.mutant ? { mutant: c.mutant } : {}) };
    const r = await runSwarm(opts);
    virtualMs += r.virtualMs;
    steps += r.steps;
    maxConverge = Math.max(maxConverge, r.recovery?.convergedAfterMs ?? 0);
    if (c.verbose) console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAIL'}  ${formatProfile(r.profile)}`);
    if (!r.ok && c.mutant && !(await runSwarm({ ...opts, mutant: undefined })).ok) {
      console.log(`seed ${seed} fails without the mutant too: not a catch (replay: ${swarmReplay({ ...opts, mutant: undefined })})`);
      failed.push(seed);
      continue;
    }
    if (!r.ok && c.mutant) {
      console.log(`${formatSwarmFailure(r, opts, 10)}\n\nmutant ${c.mutant} CAUGHT by seed ${seed}, after ${seed - c.start + 1} seed(s)`);
      return 1;
    }
    if (!r.ok) {
      failed.push(seed);
      await report(opts, r, c.shrink);
    }
  }
  const wallS = (performance.now() - began) / 1000;
  console.log(
    [
      `\nswarm: ${c.seeds - failed.length}/${c.seeds} seeds passed (${c.start}..${c.start + c.seeds - 1})` + (failed.length ? `; FAILED: ${failed.join(' ')}` : ''),
      `virtual time ${(virtualMs / 3_600_000).toFixed(2)} h, ${steps} events, slowest convergence after the faults ${(maxConverge / 1000).toFixed(1)} s`,
      `wall ${wallS.toFixed(1)} s: ${(virtualMs / 3_600_000 / wallS).toFixed(3)} simulated hours per wall second, ${((wallS * 1000) / c.seeds).toFixed(0)} ms/seed`,
    ].join('\n'),
  );
  if (c.mutant) console.log(`mutant ${c.mutant} NOT caught by ${c.seeds} seeds: the simulator is too weak for it`);
  return failed.length ? 1 : 0;
}

/** `--mutants`: the names and the bug each plants. */
export function listMutants(): void {
  for (const m of MUTANTS) console.log(`${m.padEnd(22)} ${MUTANT_BUGS[m]}`);
}
