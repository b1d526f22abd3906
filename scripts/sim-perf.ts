// `node --import tsx scripts/sim-perf.ts [--ops N] [--runs K] [--seed S]`: the simulator's wall-clock
// throughput (bench/sim.ts), one line per run and the median, so anyone can rerun the measurement.

import { parseArgs } from 'node:util';
import { simThroughput } from '../bench/sim';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'no-warmup': { type: 'boolean', default: false },
  },
});

const ops = Number(args.ops);
const seed = Number(args.seed);
if (!args['no-warmup']) await simThroughput({ ops, seed });
const times: number[] = [];
const cpus: number[] = [];
for (let i = 0; i < Number(args.runs); i++) {
  const r = await simThroughput({ ops, seed });
  times.push(r.wallMs);
  cpus.push(r.cpuMs);
  console.log(
    `run ${i + 1}: ${r.wallMs.toFixed(0)} ms (cpu ${r.cpuMs.toFixed(0)} ms), ${r.opsPerSec.toFixed(0)} ops/s (${r.steps} events, ${r.messages} messages, ${(r.virtualMs / 1000).toFixed(1)} virtual s, run ${r.fingerprint})`,
  );
}
const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const median = mid(times);
console.log(`median: ${median.toFixed(0)} ms (cpu ${mid(cpus).toFixed(0)} ms) for ${ops} client calls on 5 nodes, ${((ops / median) * 1000).toFixed(0)} ops/s`);
