// Runs the storage contract on the in-memory adapter (a shared backing stands in for the disk).
import { describe, expect, it } from 'vitest';
import { MemoryStorageBacking, memoryStorage } from '../../src/adapters/memory/storage';
import { ClosedError } from '../../src/ports/storage';
import { storageContract } from './storage.contract';

storageContract('memory', async () => {
  const backing = new MemoryStorageBacking();
  return {
    open: async () => backing.open(),
    reopen: async () => backing.open(),
    cleanup: async () => undefined,
  };
});

describe('memory storage backing', () => {
  it('retires the previous handle on reopen, as a crashed process cannot write', async () => {
    const backing = new MemoryStorageBacking();
    const before = backing.open();
    await before.put({ key: 'k', partition: 1, value: 1 });
    const after = backing.open();
    await expect(before.put({ key: 'k', partition: 1, value: 2 })).rejects.toBeInstanceOf(ClosedError);
    expect(await after.get('k')).toEqual({ key: 'k', partition: 1, value: 1 });
  });

  it('gives each memoryStorage() its own data', async () => {
    const a = memoryStorage();
    await a.put({ key: 'k', partition: 1, value: 1 });
    expect(await memoryStorage().get('k')).toBeUndefined();
  });
});
