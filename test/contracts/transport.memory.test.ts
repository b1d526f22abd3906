// The transport contract against the in-process memory network.

import { MemoryNetwork } from '../../src/adapters/memory/transport';
import type { Transport } from '../../src/ports/transport';
import { transportContract } from './transport.contract';

transportContract('memory', async () => {
  const net = new MemoryNetwork();
  const open: Transport[] = [];
  return {
    open: async (id) => {
      const t = net.open(id);
      open.push(t);
      return t;
    },
    cleanup: async () => {
      for (const t of open) await t.close();
    },
  };
});
