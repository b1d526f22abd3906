// The transport contract against the fault-injection wrapper (over the memory network), with no
// fault set: wrapping must not change what a transport does, disconnect and hints included.

import { FaultyTransport } from '../../src/adapters/faults/transport';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import type { Transport } from '../../src/ports/transport';
import { seededRandom } from '../../src/sim/random';
import { transportContract } from './transport.contract';

transportContract('faults over memory', async () => {
  const net = new MemoryNetwork();
  const open: Transport[] = [];
  return {
    open: async (id) => {
      const t = new FaultyTransport(net.open(id), seededRandom(1));
      open.push(t);
      return t;
    },
    cleanup: async () => {
      for (const t of open) await t.close();
    },
  };
});
