// The per-phase latency logs (phases.ts) that the benchmark's put and get breakdown reads.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { DynamoCore } from '../../src/core/node';
import { Phases } from '../../src/core/phases';
import { until } from '../support/wait';

let nodes: DynamoCore[] = [];
afterEach(async () => {
  for (const n of nodes) await n.stop();
  nodes = [];
});

describe('Phases', () => {
  it('logs the time since a start reading under its phase', () => {
    let t = 10;
    const phases = new Phases(() => t);
    const start = phases.start();
    t = 12.5;
    phases.since('put.mint', start);
    const s = phases.summary();
    expect(s['put.mint']).toEqual({ count: 1, p50: 2.5, p99: 2.5, p999: 2.5 });
    expect(s['get.quorum'].count).toBe(0);
  });
});

describe('stats().phasesMs', () => {
  it('breaks puts and gets into the phases where they happened', async () => {
    const net = new MemoryNetwork();
    const ids = ['n0', 'n1', 'n2', 'n3', 'n4'];
    nodes = await Promise.all(ids.map((id) => DynamoCore.start({ id, transport: net.open(id), storage: memoryStorage(), clock: systemClock, random: systemRandom }, { n: 3, r: 2, w: 2 })));
    await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === 5), 5000, 'full ring');
    // A key whose primaries do not include n0, so n0 forwards its put.
    const a = nodes[0] as DynamoCore;
    const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find((k) => !a.preferenceList(k).slice(0, 3).includes('n0')) as string;
    await a.put(key, 1);
    await a.get(key);
    const sum = (phase: keyof ReturnType<DynamoCore['stats']>['phasesMs']) => nodes.reduce((acc, n) => acc + n.stats().phasesMs[phase].count, 0);
    expect(a.stats().phasesMs['put.forward'].count).toBe(1);
    expect(sum('put.mint')).toBe(1);
    expect(sum('put.quorum')).toBe(1);
    expect(sum('put.replica-rtt')).toBeGreaterThanOrEqual(1);
    expect(sum('serve.put')).toBeGreaterThanOrEqual(1);
    expect(a.stats().phasesMs['get.quorum'].count).toBe(1);
    expect(sum('serve.get')).toBeGreaterThanOrEqual(1);
    expect(a.stats().phasesMs['put.forward'].p50).toBeGreaterThan(0);
  });
});
