// A disk that fails reads (or closes under a running node) must never crash the process with an
// unhandled rejection from background work: anti-entropy's tree build, its pushes and hint delivery
// try again later. Found when `dynamo-node` died on SIGTERM: a scan still running met the closed disk.
import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { AntiEntropy } from '../../src/core/antientropy';
import { DynamoCore } from '../../src/core/node';
import type { Storage } from '../../src/ports/storage';
import { until } from '../support/wait';

/** A storage whose reads fail while `failing` is set. */
function flaky(inner: Storage): Storage & { failing: boolean; failed: number } {
  const s = Object.create(inner) as Storage & { failing: boolean; failed: number };
  s.failing = false;
  s.failed = 0;
  for (const m of ['get', 'scanPartition', 'listMeta', 'getMeta'] as const) {
    const original = inner[m].bind(inner) as (...a: unknown[]) => Promise<unknown>;
    (s as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      if (!s.failing) return original(...a);
      s.failed++;
      return Promise.reject(new Error('read failed (injected)'));
    };
  }
  return s;
}

describe('background work on a failing disk', () => {
  it("anti-entropy's tree build retries after a failed scan instead of rejecting into nowhere", async () => {
    const storage = flaky(memoryStorage());
    await storage.put({ key: 'k', partition: 0, value: { clock: [], siblings: [] } });
    storage.failing = true;
    const placement = { replicates: () => true, coReplicas: () => [] };
    const aae = new AntiEntropy({
      self: 'a', q: 2, clock: systemClock, random: systemRandom, storage, ring: () => undefined, placement,
      send: () => {}, push: async () => true, onRepair: () => {}, gapMs: 1, sweepPauseMs: 1, exchangeTimeoutMs: 1000,
    });
    aae.start();
    await until(() => storage.failed > 0, 2000, 'a failed scan');
    expect(aae.stats().treesReady).toBe(0);
    storage.failing = false;
    await until(() => aae.stats().treesReady === 2, 5000, 'the trees built on the retry');
    aae.stop();
  });

  it('a node whose disk fails reads for a while keeps running and serves again once it recovers', async () => {
    const net = new MemoryNetwork();
    const storages = ['n0', 'n1', 'n2'].map(() => flaky(memoryStorage()));
    const nodes = await Promise.all(
      ['n0', 'n1', 'n2'].map((id, i) => DynamoCore.start({ id, transport: net.open(id), storage: storages[i]!, clock: systemClock, random: systemRandom }, { q: 8 })),
    );
    try {
      await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === 3), 5000, 'full ring');
      await nodes[0]!.put('a', 1);
      storages[1]!.failing = true;
      await nodes[0]!.put('b', 2, undefined, { w: 3 }).catch(() => undefined);
      await nodes[1]!.get('a', { r: 1 }).catch(() => undefined);
      expect(storages[1]!.failed).toBeGreaterThan(0);
      storages[1]!.failing = false;
      expect((await nodes[1]!.get('a', { r: 3 })).values).toEqual([1]);
    } finally {
      for (const n of nodes) await n.stop();
    }
  });
});
