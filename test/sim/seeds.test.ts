// (e) The mixed-fault schedule over many seeds (paper §4.6, §6): random partitions, crashes and
// restarts, message loss, duplication and reordering, then heal and repair; the checker must pass.
// SIM_SEEDS, SIM_START and SIM_OPS override the defaults (200 seeds from 0, 500 client calls each).
// A failing seed's message carries the seed, its faults, its last events and the replay command.

import { describe, expect, it } from 'vitest';
import { formatFailure, runMixed } from '../../src/sim/workload';

const SEEDS = Number(process.env.SIM_SEEDS ?? 200);
const START = Number(process.env.SIM_START ?? 0);
const OPS = Number(process.env.SIM_OPS ?? 500);
const CHUNK = 20;

const chunks = Array.from({ length: Math.ceil(SEEDS / CHUNK) }, (_, i): [number, number] => {
  const from = START + i * CHUNK;
  return [from, Math.min(START + SEEDS, from + CHUNK) - 1];
});

describe('mixed-fault simulation', () => {
  it.each(chunks)('seeds %i..%i keep every invariant', async (from, last) => {
    const failures: string[] = [];
    for (let seed = from; seed <= last; seed++) {
      const opts = { seed, ops: OPS };
      const r = await runMixed(opts);
      if (!r.report.ok) failures.push(formatFailure(await runMixed({ ...opts, trace: 30 }), opts));
    }
    expect(failures, `${failures.length} failing seed(s):\n\n${failures.join('\n\n')}`).toEqual([]);
  }, 120_000);

  // Always writeable: the same faults with every write at w 'any'. A degraded acknowledgement is an
  // acknowledgement: the checker must still find every such write once the cluster heals.
  it.each(chunks.slice(0, 3))("w 'any': seeds %i..%i lose no degraded write", async (from, last) => {
    const failures: string[] = [];
    for (let seed = from; seed <= last; seed++) {
      const opts = { seed, ops: OPS, w: 'any' as const };
      const r = await runMixed(opts);
      if (!r.report.ok) failures.push(formatFailure(await runMixed({ ...opts, trace: 30 }), opts));
    }
    expect(failures, `${failures.length} failing seed(s):\n\n${failures.join('\n\n')}`).toEqual([]);
  }, 120_000);
});
