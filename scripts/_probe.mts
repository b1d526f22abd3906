import { runSwarm } from '../src/sim/swarm';
const seed = 1126;
const base = await runSwarm({ seed });
const jumps = base.schedule.filter((s) => s.fault.kind === 'clock-jump').map((s) => s.index);
console.log('no clock jumps ok', (await runSwarm({ seed, drop: jumps })).ok, jumps.length);
console.log('grace 10h ok', (await runSwarm({ seed, config: { tombstoneGraceMs: 10 * 3600_000 } })).ok);
