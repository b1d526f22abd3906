// An anti-entropy exchange whose peer went away mid-way (antientropy.ts): the sweep waits for the
// exchange, so the exchange must end when liveness calls the peer down, or when the peer sent no step
// for the per-step deadline, not after a long overall timeout. Simulated time: deterministic per seed.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVENESS } from '../../src/core/liveness';
import { SimCluster } from '../../src/sim/cluster';
import type { SimTransport } from '../../src/sim/network';

const GAP_MS = 50;

/**
 * A 3-node cluster where n1 swallows the first step of an exchange n0 starts with it, then runs `then`
 * (crash n1, or nothing). Resolves to the virtual ms n0's sweep was held: from the swallowed step to
 * the start of n0's next exchange.
 */
async function heldFor(seed: number, timeoutMs: number, then: (c: SimCluster) => void): Promise<{ c: SimCluster; held: number }> {
  const c = await SimCluster.create({ seed, nodes: 3, config: { q: 8, timeoutMs, aaeGapMs: GAP_MS, aaeSweepPauseMs: GAP_MS } });
  const t1 = (c.node('n1') as unknown as { transport: SimTransport }).transport;
  const receive = t1.receive.bind(t1);
  let swallowedAt: number | undefined;
  t1.receive = (from, data) => {
    if (swallowedAt === undefined && from === 'n0' && data.includes('"type":"aae"') && data.includes('"init":true')) {
      swallowedAt = c.clock.now();
      c.clock.setTimer(0, () => then(c));
      return;
    }
    receive(from, data);
  };
  expect(await c.until(() => swallowedAt !== undefined, { maxTime: 60_000, pollMs: 1 })).toBe(true);
  const before = c.node('n0').stats().antiEntropy.exchanges;
  expect(await c.until(() => c.node('n0').stats().antiEntropy.exchanges > before, { maxTime: 60_000, pollMs: 1 })).toBe(true);
  return { c, held: c.clock.now() - swallowedAt! };
}

describe('an anti-entropy exchange with a peer that dropped', { timeout: 60_000 }, () => {
  it('ends when liveness calls the peer down (the peer crashed)', async () => {
    // A per-step deadline (2 x timeoutMs) longer than liveness needs: the liveness verdict must end it.
    const { c, held } = await heldFor(41, 10_000, (c) => c.crash('n1'));
    expect(c.node('n0').members().find((m) => m.id === 'n1')?.status).toBe('down');
    expect(held).toBeLessThanOrEqual(DEFAULT_LIVENESS.deadAfterMs + DEFAULT_LIVENESS.heartbeatMs + GAP_MS);
    await c.stop();
  });

  it('ends at the per-step deadline when the peer is up but sends nothing more (a lost step)', async () => {
    const timeoutMs = 1000;
    const { c, held } = await heldFor(42, timeoutMs, () => {});
    expect(c.node('n0').members().find((m) => m.id === 'n1')?.status).toBe('up');
    expect(held).toBeLessThanOrEqual(2 * timeoutMs + GAP_MS);
    await c.stop();
  });
});
