// In-memory Storage adapter, for unit tests: the Storage port's Map implementation (ports/memory-storage.ts).
import { MapStorageBacking } from '../../ports/memory-storage';
import type { Storage } from '../../ports/storage';

export { MapStorageBacking as MemoryStorageBacking } from '../../ports/memory-storage';

/** A store with its own private backing. */
export function memoryStorage(): Storage {
  return new MapStorageBacking().open();
}
