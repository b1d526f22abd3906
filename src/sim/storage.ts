// Simulated durable storage (paper §5: each node's local persistence engine): the Storage port's Map
// implementation (ports/memory-storage.ts), whose backing outlives a simulated crash.

export { MapStorageBacking as SimStorageBacking } from '../ports/memory-storage';
