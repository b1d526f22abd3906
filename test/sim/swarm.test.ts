// (f) The swarm (src/sim/swarm.ts): every seed draws its own mix of network, crash, disk, clock,
// pause and workload faults; each must keep every invariant (no lost, phantom or resurrected write,
// no reissued dot, no acknowledgement before durability) and, once the faults stop, converge and
// serve within the bound (with a casualty down or removed, when the seed draws one).
// SWARM_SEEDS and SWARM_START override the defaults (40 seeds from 1000). A failing seed's message
// carries its profile, report and replay command, then the schedule shrunk to the faults that matter.

import { describe, expect, it } from 'vitest';
import { formatSwarmFailure, runSwarm, shrinkSwarm } from '../../src/sim/swarm';

const SEEDS = Number(process.env.SWARM_SEEDS ?? 40);
const START = Number(process.env.SWARM_START ?? 1000);
const CHUNK = 8;

const chunks = Array.from({ length: Math.ceil(SEEDS / CHUNK) }, (_, i): [number, number] => {
  const from = START + i * CHUNK;
  return [from, Math.min(START + SEEDS, from + CHUNK) - 1];
});

/** The failure, then the same seed with every fault it does not need dropped. */
async function explain(seed: number): Promise<string> {
  const first = await runSwarm({ seed, trace: 30 });
  const small = await shrinkSwarm({ seed }, first);
  const shrunk = small.drop?.length ? `\n\nshrunk (${small.drop.length} faults dropped):\n${formatSwarmFailure(await runSwarm({ ...small, trace: 30 }), small)}` : '';
  return formatSwarmFailure(first, { seed }) + shrunk;
}

describe('swarm simulation', () => {
  it.each(chunks)('seeds %i..%i keep every invariant and recover', async (from, last) => {
    const failures: string[] = [];
    for (let seed = from; seed <= last; seed++) {
      const r = await runSwarm({ seed });
      if (!r.ok) failures.push(await explain(seed));
    }
    expect(failures, `${failures.length} failing seed(s):\n\n${failures.join('\n\n')}`).toEqual([]);
  }, 600_000);
});
