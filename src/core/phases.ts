// Where a request's time goes (issue 18): a bounded latency log per phase of the put and get paths,
// so every gap between a request's latency and its physical floor is a measured phase, not a guess.
//
// Public API
//   PHASES, type Phase
//   new Phases(now)             now(): a sub-millisecond reading (Clock.precise, or Clock.now)
//   .start(): number            a reading to measure from
//   .since(phase, start)        logs now - start under `phase`
//   .summary()                  { [phase]: LatencySummary } for stats().phasesMs
//
// The phases (all in ms, each measured where it happens):
//   put.forward      a put sent to another coordinator, until its answer (includes all below there)
//   put.mint         the coordinator's read, merge and durable write of the new version
//   put.quorum       from the mint's end until W replicas acknowledged
//   put.replica-rtt  one replica's round trip, from send to its ack (includes its serve.put)
//   serve.put        a replica storing a received version (read, merge, durable write)
//   get.local        this node's own read when it is one of the targets
//   get.quorum       from sending until R answers
//   serve.get        a replica reading a key for a peer

import { LatencyLog, type LatencySummary } from './latency';

/** A phase of the put or get path (the list above). */
export type Phase = 'put.forward' | 'put.mint' | 'put.quorum' | 'put.replica-rtt' | 'serve.put' | 'get.local' | 'get.quorum' | 'serve.get';
export const PHASES: readonly Phase[] = ['put.forward', 'put.mint', 'put.quorum', 'put.replica-rtt', 'serve.put', 'get.local', 'get.quorum', 'serve.get'];

/** Samples kept per phase: enough for a p99.9 over the last thousand requests. */
const CAPACITY = 1024;

export class Phases {
  private readonly logs = new Map<Phase, LatencyLog>(PHASES.map((p) => [p, new LatencyLog(CAPACITY)]));

  constructor(readonly now: () => number) {}

  start(): number {
    return this.now();
  }

  since(phase: Phase, start: number): void {
    this.logs.get(phase)?.add(this.now() - start);
  }

  summary(): Record<Phase, LatencySummary> {
    const out = {} as Record<Phase, LatencySummary>;
    for (const [phase, log] of this.logs) out[phase] = log.summary();
    return out;
  }
}
