// The transport contract against the simulated network, with virtual time run by the auto-advance driver.

import { VirtualClock } from '../../src/sim/clock';
import { autoAdvance } from '../../src/sim/drive';
import { SimNetwork } from '../../src/sim/network';
import { seededRandom } from '../../src/sim/random';
import type { Transport } from '../../src/ports/transport';
import { transportContract } from './transport.contract';

transportContract('sim', async () => {
  const clock = new VirtualClock();
  const net = new SimNetwork(clock, seededRandom(1).fork('network'), { reorder: false, loss: 0 });
  const stop = autoAdvance(clock);
  const open: Transport[] = [];
  return {
    open: async (id) => {
      const t = net.open(id);
      open.push(t);
      return t;
    },
    cleanup: async () => {
      for (const t of open) await t.close();
      stop();
    },
  };
});
