// Pure-core microbenchmarks in Node: version vector compare/merge and sibling-set operations.

import * as vclock from '../src/core/vclock';
import * as versions from '../src/core/versions';
import { emptyContext } from '../src/core/context';
import { single, type Row } from './stats';

function opsPerSec(run: () => void, minMs = 300): number {
  let ops = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < 1000; i++) run();
    ops += 1000;
  }
  return ops / ((performance.now() - t0) / 1000);
}

function clockOf(nodes: number, offset: number): vclock.VClock {
  let c = vclock.empty();
  for (let i = 0; i < nodes; i++) c = vclock.addDot(c, { node: `node-${i}`, counter: 10 + ((i + offset) % 3) }, i);
  return c;
}

export function benchCore(quick: boolean): Row[] {
  const ms = quick ? 150 : 400;
  const a = clockOf(5, 0);
  const b = clockOf(5, 1);
  let set = versions.empty();
  for (let i = 0; i < 3; i++) set = versions.put(set, { coordinator: `node-${i}`, context: emptyContext(), value: { i }, now: i }).set;
  const other = versions.put(set, { coordinator: 'node-9', context: emptyContext(), value: 'x', now: 9 }).set;
  return [
    single('vclock compare (5 entries)', opsPerSec(() => vclock.compare(a, b), ms), 'ops/s'),
    single('vclock merge (5 entries)', opsPerSec(() => vclock.merge(a, b), ms), 'ops/s'),
    single('sibling set merge (3-4 siblings)', opsPerSec(() => versions.merge(set, other), ms), 'ops/s'),
    single('sibling set put-with-context', opsPerSec(() => versions.put(set, { coordinator: 'node-1', context: emptyContext(), value: 1, now: 5 }), ms), 'ops/s'),
  ];
}
