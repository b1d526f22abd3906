// Simulator throughput in Node: a fault-free 5-node cluster (N=3, R=2, W=2) running a mixed client
// workload to completion, timed on the wall clock (issue 4: "5 nodes, 10,000 operations, well under a second").
// CPU time is reported beside it because on a shared machine wall time swings with other people's jobs.

import { History } from '../src/sim/checker';
import { SimCluster } from '../src/sim/cluster';
import { runClients } from '../src/sim/workload';
import { single, type Row } from './stats';

export interface SimThroughputOptions {
  /** Client calls in total (a read-modify-write counts as two). Default 10,000. */
  ops?: number;
  nodes?: number;
  clients?: number;
  keys?: number;
  seed?: number;
}

export interface SimThroughput {
  ops: number;
  /** Wall-clock ms of the workload alone (cluster start-up and shutdown excluded). */
  wallMs: number;
  /** CPU ms this process spent meanwhile (user + system, all threads, GC included). */
  cpuMs: number;
  opsPerSec: number;
  /** Clock events and messages the run took: a change in them means the run itself changed. */
  steps: number;
  messages: number;
  virtualMs: number;
  /** A hash of every call's outcome and every value read: equal across builds exactly when the run is. */
  fingerprint: string;
}

export async function simThroughput(opts: SimThroughputOptions = {}): Promise<SimThroughput> {
  const ops = opts.ops ?? 10_000;
  const cluster = await SimCluster.create({ seed: opts.seed ?? 1, nodes: opts.nodes ?? 5, config: { n: 3, r: 2, w: 2 } });
  const keys = Array.from({ length: opts.keys ?? 200 }, (_, i) => `key-${i}`);
  const history = new History();
  const steps0 = cluster.clock.steps;
  const sent0 = cluster.net.stats().sent;
  const virtual0 = cluster.clock.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await cluster.drive(runClients(cluster, history, { ops, clients: opts.clients ?? 8, keys }));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const result: SimThroughput = {
    ops,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    opsPerSec: ops / (wallMs / 1000),
    steps: cluster.clock.steps - steps0,
    messages: cluster.net.stats().sent - sent0,
    virtualMs: cluster.clock.now() - virtual0,
    fingerprint: fingerprint(history),
  };
  await cluster.stop();
  return result;
}

// FNV-1a over the history's text: an optimization that changed the schedule would change it.
function fingerprint(history: History): string {
  let h = 0x811c9dc5;
  for (const op of history.ops) {
    const text = `${op.kind} ${op.client} ${op.key} ${op.outcome} ${op.completedAt} ${op.kind === 'put' ? op.value : JSON.stringify(op.values)}\n`;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Median wall time of three 10k-op runs, after a warm-up run so the JIT's first compile is not what
 * is measured. Async, unlike benchCore: the simulator's run loop waits on the event loop.
 */
export async function benchSim(quick: boolean): Promise<Row[]> {
  const runs = 3;
  await simThroughput({ ops: quick ? 1_000 : 10_000 });
  const results: SimThroughput[] = [];
  for (let i = 0; i < runs; i++) results.push(await simThroughput());
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const wall = median(results.map((r) => r.wallMs));
  const cpu = median(results.map((r) => r.cpuMs));
  const note = `median of ${runs}; 5 nodes N=3 R=2 W=2, 8 clients, 200 keys, no faults`;
  return [
    single('simulator: 10,000 client calls, wall time', wall, 'ms', note),
    single('simulator: 10,000 client calls, CPU time', cpu, 'ms', note),
    single('simulator: client calls per second (wall)', 10_000 / (wall / 1000), 'ops/s', note),
  ];
}
