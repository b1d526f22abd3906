// Limits configuration: defaults, overrides, nonsense refused at startup, and SIGNAL_* environment variables.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, envName, limitsFromEnv, resolveLimits } from '../../signaling/limits';
import { startSignalingServer } from '../../signaling/server';

describe('resolveLimits', () => {
  it('fills in defaults; undefined keeps the default', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ maxConnsPerAddress: 500, joinTimeoutMs: undefined })).toEqual({ ...DEFAULT_LIMITS, maxConnsPerAddress: 500 });
  });

  it.each([
    ['maxConnsPerAddress', 0],
    ['maxBuffered', -1],
    ['relayHighWater', Number.NaN],
    ['ratePerSec', Number.POSITIVE_INFINITY],
    ['joinTimeoutMs', 2 ** 31], // setTimeout would fire after 1 ms and close everyone
    ['pingIntervalMs', 2 ** 40],
  ])('refuses %s = %s', (key, value) => {
    expect(() => resolveLimits({ [key]: value })).toThrow(RangeError);
  });

  it('startSignalingServer refuses nonsense before it listens', async () => {
    await expect(startSignalingServer({ port: 0, host: '127.0.0.1', limits: { maxConnections: 0 } })).rejects.toThrow(/maxConnections/);
  });
});

describe('limitsFromEnv', () => {
  it('reads SIGNAL_<LIMIT> for every limit and leaves out unset or empty ones', () => {
    expect(envName('maxConnsPerAddress')).toBe('SIGNAL_MAX_CONNS_PER_ADDRESS');
    expect(envName('joinTimeoutMs')).toBe('SIGNAL_JOIN_TIMEOUT_MS');
    expect(limitsFromEnv({ SIGNAL_MAX_CONNS_PER_ADDRESS: '256', SIGNAL_JOIN_TIMEOUT_MS: ' 5000 ', SIGNAL_MAX_BUFFERED: '', PORT: '1' })).toEqual({
      maxConnsPerAddress: 256,
      joinTimeoutMs: 5000,
    });
    for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof typeof DEFAULT_LIMITS>) {
      expect(limitsFromEnv({ [envName(key)]: '7' })).toEqual({ [key]: 7 });
    }
  });

  it('refuses a value that is not a number, naming the variable', () => {
    expect(() => limitsFromEnv({ SIGNAL_MAX_CONNS_PER_ADDRESS: 'lots' })).toThrow(/SIGNAL_MAX_CONNS_PER_ADDRESS/);
  });
});
