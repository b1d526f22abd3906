// Runs the storage contract on the disk adapter (LevelDB via classic-level), plus what only a disk has:
// a directory held by another handle, an unwritable directory, durability across a killed process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirError, openDiskStorage } from '../../src/adapters/disk/storage';
import { storageContract } from './storage.contract';

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'dynamo-disk-'));

storageContract('disk (classic-level)', async () => {
  const dir = freshDir();
  return {
    open: () => openDiskStorage(dir),
    reopen: () => openDiskStorage(dir),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('disk storage', () => {
  it('refuses a directory another handle holds, with a DataDirError that says so', async () => {
    const dir = freshDir();
    const s = await openDiskStorage(dir);
    try {
      await expect(openDiskStorage(dir)).rejects.toThrow(/in use by another process/);
      await expect(openDiskStorage(dir)).rejects.toBeInstanceOf(DataDirError);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path that is a file, with a DataDirError', async () => {
    const dir = freshDir();
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    await expect(openDiskStorage(file)).rejects.toBeInstanceOf(DataDirError);
    rmSync(dir, { recursive: true, force: true });
  });

  it('group-commits concurrent writes into few durable batches', async () => {
    const dir = freshDir();
    const s = await openDiskStorage(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.put({ key: `k${i}`, partition: i % 7, value: i })));
    const stats = s.stats();
    expect(stats.writes).toBe(200);
    expect(stats.batches).toBeLessThan(20);
    expect(await s.count()).toBe(200);
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('orders keys by UTF-16 code units, as JS and IndexedDB do (not by UTF-8 bytes)', async () => {
    const dir = freshDir();
    const s = await openDiskStorage(dir);
    const keys = ['\u{1F600}', '\uE000', 'a', '\uFFFF'];
    await s.putMany(keys.map((key) => ({ key, partition: 1, value: 1 })));
    expect((await s.scanPartition(1)).records.map((r) => r.key)).toEqual([...keys].sort());
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the reads in flight when closed, so none meets a closed database (dynamo-node died of it on SIGTERM)', async () => {
    const dir = freshDir();
    const s = await openDiskStorage(dir);
    await s.putMany(Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, partition: 3, value: i })));
    const reads = [s.scanPartition(3), s.get('k1'), s.listMeta(''), s.count()];
    await s.close();
    const outcomes = await Promise.allSettled(reads);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing acknowledged when its process is killed with SIGKILL mid-write', async () => {
    const dir = freshDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/disk-writer.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buffered = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (buffered + chunk.toString()).split('\n');
        buffered = lines.pop() ?? '';
        acked.push(...lines);
        if (acked.length >= 300 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const s = await openDiskStorage(dir);
    const missing: string[] = [];
    for (const key of acked) if ((await s.get(key)) === undefined) missing.push(key);
    expect(missing).toEqual([]);
    expect(await s.count()).toBeGreaterThanOrEqual(acked.length);
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});
