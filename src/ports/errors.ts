// Typed errors that cross layers (adapters raise them, the node and apps catch them).

/** The device is out of space (IndexedDB QuotaExceededError). Reads keep working. */
export class StorageFullError extends Error {
  override readonly name = 'StorageFullError';
  constructor(message = 'storage is full', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The store, transport or node has been closed. */
export class ClosedError extends Error {
  override readonly name = 'ClosedError';
  constructor(message = 'closed') {
    super(message);
  }
}
