// The package as a user gets it: `npm pack` of this repository, installed into a fresh project by
// `npm ci --offline` against a lockfile cut from this repository's own (the same versions, already in
// npm's cache after the repository's `npm ci`), so the install needs no registry and no network.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}
type Lock = { packages: Record<string, LockEntry> };

const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Packs the repository (prepack builds lib/) into `dir`; returns the tarball's path. */
export function pack(dir: string): string {
  const out = npm(['pack', '--pack-destination', dir, '--silent'], REPO).trim().split('\n');
  return join(dir, out[out.length - 1] as string);
}

/**
 * Installs the tarball and `extra` packages (names whose versions come from this repository's lock)
 * into `project`, which has a package.json without dependencies. Returns the dependencies written.
 */
export function installPacked(project: string, tarball: string, extra: string[]): Record<string, string> {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as Lock;
  const own = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as LockEntry & { name: string; bin?: unknown; engines?: unknown };
  const version = (name: string): string => {
    const v = lock.packages[`node_modules/${name}`]?.version;
    if (!v) throw new Error(`${name} is not in this repository's lock`);
    return v;
  };
  const deps: Record<string, string> = { [own.name]: `file:${basename(tarball)}` };
  for (const name of extra) deps[name] = version(name);

  const packages: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, required: boolean): void => {
    const at = locate(lock, from, name);
    if (at === undefined) {
      if (required) throw new Error(`${name} (needed from ${from || 'the root'}) is not in this repository's lock`);
      return;
    }
    if (packages[at]) return;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lock.packages[at] as LockEntry;
    packages[at] = entry;
    for (const d of Object.keys(entry.dependencies ?? {})) visit(at, d, true);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) visit(at, d, false);
    for (const d of Object.keys(entry.peerDependencies ?? {})) visit(at, d, !entry.peerDependenciesMeta?.[d]?.optional);
  };
  for (const name of [...Object.keys(own.dependencies ?? {}), ...extra]) visit('', name, true);

  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  packages[`node_modules/${own.name}`] = {
    version: own.version,
    resolved: `file:${basename(tarball)}`,
    integrity,
    dependencies: own.dependencies,
    peerDependencies: own.peerDependencies,
    peerDependenciesMeta: own.peerDependenciesMeta,
    bin: own.bin,
    engines: own.engines,
  };
  const pkgPath = join(project, 'package.json');
  const pkg = { ...(JSON.parse(readFileSync(pkgPath, 'utf8')) as { name: string }), dependencies: deps };
  writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
  const root = { name: pkg.name, dependencies: deps };
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: pkg.name, lockfileVersion: 3, requires: true, packages: { '': root, ...packages } }, null, 2));
  npm(['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], resolve(project));
  return deps;
}

/** Where Node would find `name` from the package at lock path `from` (nested first, then hoisted). */
function locate(lock: Lock, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const at = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[at]) return at;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}
