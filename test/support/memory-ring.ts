// A ring of DynamoCore nodes over the in-process adapters, every member up, stopped after each test.

import { afterEach } from 'vitest';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { DynamoCore, type NodeConfig } from '../../src/core/node';
import { until } from './wait';

/** Nodes n0..n{count-1}; call once per test file (it registers the afterEach that stops them). */
export function memoryRings(): (count: number, config?: Partial<NodeConfig>) => Promise<DynamoCore[]> {
  let nodes: DynamoCore[] = [];
  afterEach(async () => {
    for (const n of nodes) await n.stop();
    nodes = [];
  });
  return async (count, config = {}) => {
    const net = new MemoryNetwork();
    nodes = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        DynamoCore.start({ id: `n${i}`, transport: net.open(`n${i}`), storage: memoryStorage(), clock: systemClock, random: systemRandom }, config),
      ),
    );
    await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === count), 5000, 'full ring');
    return nodes;
  };
}
