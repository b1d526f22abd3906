// Typed errors of the public API: QuorumError, ValidationError, ClosedError, StorageFullError.

export { ClosedError, StorageFullError } from '../ports/errors';

/** Bad key, value, context or options; raised before anything is sent or stored. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

/** Fewer than the required replicas answered before the deadline. */
export class QuorumError extends Error {
  override readonly name = 'QuorumError';
  constructor(
    message: string,
    /** How many replicas were required (R or W). */
    readonly required: number,
    /** How many answered in time. */
    readonly answered: number,
  ) {
    super(message);
  }
}
