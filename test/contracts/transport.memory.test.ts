// The transport contract against the in-process memory network, and what is particular to it.

import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import type { Transport } from '../../src/ports/transport';
import { until } from '../support/wait';
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

describe('memory transport', () => {
  it('delivers what was sent before close, as a data channel does', async () => {
    const net = new MemoryNetwork();
    const [a, b] = [net.open('a'), net.open('b')];
    await until(() => a.peers().includes('b'), 2000, 'linked');
    const got: string[] = [];
    b.onMessage((_from, data) => got.push(data));
    a.send('b', 'last words');
    await a.close();
    expect(got).toEqual(['last words']);
    await b.close();
  });
});
