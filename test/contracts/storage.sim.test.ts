// Runs the storage contract on the simulator's storage (its backing stands in for the disk), plus the
// crash rule: a retired handle can no longer write.
import { describe, expect, it } from 'vitest';
import { ClosedError } from '../../src/ports/storage';
import { SimStorageBacking } from '../../src/sim/storage';
import { storageContract } from './storage.contract';

storageContract('sim', async () => {
  const backing = new SimStorageBacking();
  return {
    open: async () => backing.open(),
    reopen: async () => backing.open(),
    cleanup: async () => undefined,
  };
});

describe('sim storage backing', () => {
  it('retires the handle on crash; a reopened handle sees the data written before', async () => {
    const backing = new SimStorageBacking();
    const before = backing.open();
    await before.put({ key: 'k', partition: 1, value: 1 });
    backing.retire();
    await expect(before.put({ key: 'k', partition: 1, value: 2 })).rejects.toBeInstanceOf(ClosedError);
    expect(await backing.open().get('k')).toEqual({ key: 'k', partition: 1, value: 1 });
  });
});
