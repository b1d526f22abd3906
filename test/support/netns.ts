// Network namespaces for cross-network tests (root only): each namespace gets a veth pair, one end
// inside with its address, a default route to the host end, and the other test networks unreachable. Without IP forwarding two namespaces cannot
// reach each other, but each reaches servers bound on the host end of its veth. Chromium runs inside
// one through a wrapper that Playwright launches as its browser executable.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Netns {
  name: string;
  /** The host end's address: what the namespace reaches. */
  hostIp: string;
  /** The address inside. */
  nsIp: string;
  hostDev: string;
  /** Deletes the namespace (and with it the veth pair). Idempotent. */
  remove(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Creates namespace `name` on 10.251.<subnet>.0/24: host end .1, inside .2. */
export function createNetns(name: string, subnet: number): Netns {
  const hostIp = `10.251.${subnet}.1`;
  const nsIp = `10.251.${subnet}.2`;
  const hostDev = `${name}h`;
  const nsDev = `${name}n`;
  const remove = () => {
    try {
      ip('netns', 'del', name);
    } catch {
      /* already gone */
    }
    try {
      ip('link', 'del', hostDev);
    } catch {
      /* went with the namespace */
    }
  };
  remove(); // leftovers of a run that was killed
  try {
    ip('netns', 'add', name);
    ip('link', 'add', hostDev, 'type', 'veth', 'peer', 'name', nsDev);
    ip('link', 'set', nsDev, 'netns', name);
    ip('addr', 'add', `${hostIp}/24`, 'dev', hostDev);
    ip('link', 'set', hostDev, 'up');
    ip('netns', 'exec', name, 'ip', 'addr', 'add', `${nsIp}/24`, 'dev', nsDev);
    ip('netns', 'exec', name, 'ip', 'link', 'set', nsDev, 'up');
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    // Chromium gathers no host candidates without a default route. The other test networks stay out
    // of reach whether or not the host forwards: they are unreachable from here by route.
    ip('netns', 'exec', name, 'ip', 'route', 'add', 'default', 'via', hostIp);
    ip('netns', 'exec', name, 'ip', 'route', 'add', 'unreachable', '10.251.0.0/16');
  } catch (err) {
    remove();
    throw new Error(`could not create namespace ${name}: ${(err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message}`);
  }
  return { name, hostIp, nsIp, hostDev, remove };
}

/**
 * An executable that runs Debian's Chromium inside `ns`, for Playwright's `executablePath`. It adds
 * WebRtcHideLocalIpsWithMdns to Playwright's own --disable-features (a second such flag would replace
 * the first): with mDNS names a namespace's host candidates would not resolve.
 */
export function chromiumInNetns(ns: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `chromium-${ns}-`));
  const path = join(dir, 'chromium');
  writeFileSync(
    path,
    `#!/bin/bash
args=(); seen=0
for a in "$@"; do
  case "$a" in --disable-features=*) a="$a,WebRtcHideLocalIpsWithMdns"; seen=1;; esac
  args+=("$a")
done
[ $seen = 1 ] || args+=("--disable-features=WebRtcHideLocalIpsWithMdns")
exec ip netns exec ${ns} /usr/bin/chromium "\${args[@]}"
`,
  );
  chmodSync(path, 0o755);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bytes the host end of a veth has received and sent (what crossed into and out of its namespace). */
export function vethBytes(dev: string): { rx: number; tx: number } {
  const out = execFileSync('ip', ['-s', '-j', 'link', 'show', dev]).toString();
  const stats = (JSON.parse(out) as Array<{ stats64: { rx: { bytes: number }; tx: { bytes: number } } }>)[0]!.stats64;
  return { rx: stats.rx.bytes, tx: stats.tx.bytes };
}
