// Client input checks (docs/architecture.md, "What bad input gets"): keys are non-empty strings up to 1 KiB of UTF-8, values
// JSON up to 1 MiB serialized, r/w within 1..N. Raised as ValidationError before anything is sent.

import { ValidationError } from './errors';
import { utf8Length } from './hash';
import type { Json } from '../ports/storage';
import { validateJson } from './versions';
import { MAX_REQUEST_TIMEOUT_MS } from './protocol/requests';

export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1024 * 1024;

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new ValidationError('key must be a non-empty string');
  if (utf8Length(key) > MAX_KEY_BYTES) throw new ValidationError(`key is longer than ${MAX_KEY_BYTES} bytes`);
}

/**
 * The value as it will be stored: one snapshot, checked and measured. An object is read once (a
 * getter could answer differently on a second read, or throw), through JSON, so what is measured is
 * exactly what is stored and nothing of the caller's object is kept.
 */
export function checkValue(value: unknown): Json {
  if (value === undefined) throw new ValidationError('value must be a JSON value, got undefined');
  let text: string;
  try {
    validateJson(value);
    text = JSON.stringify(value);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`value could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const bytes = utf8Length(text);
  if (bytes > MAX_VALUE_BYTES) throw new ValidationError(`value is ${bytes} bytes serialized; the limit is ${MAX_VALUE_BYTES}`);
  if (typeof value !== 'object' || value === null) return value as Json;
  const snapshot = JSON.parse(text) as Json;
  validateJson(snapshot);
  return snapshot;
}

/** Request options as given: undefined is "none"; anything but a plain object is refused. */
export function checkOptions<T extends object>(opts: T | undefined | null): Partial<T> {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new ValidationError('options must be an object');
  return opts;
}

export function checkQuorum(name: 'r' | 'w', v: unknown, n: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > n) {
    throw new ValidationError(`${name} must be an integer in 1..${n} (N), got ${String(v)}`);
  }
  return v;
}

/** A request's deadline: 1 ms to `max` (two minutes for client requests); undefined means the default. */
export function checkTimeout(ms: unknown, max = MAX_REQUEST_TIMEOUT_MS): number | undefined {
  if (ms === undefined) return undefined;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 1 || ms > max) {
    throw new ValidationError(`timeoutMs must be a number of milliseconds in 1..${max}, got ${String(ms)}`);
  }
  return Math.ceil(ms);
}
