// How every suite and the benchmark launch Chromium on this kind of machine (see RECIPES).

import { existsSync } from 'node:fs';

/** Debian's Chromium when installed; else undefined, so Playwright uses its own browser. */
export const chromiumPath: string | undefined = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;

/** Needed as root in a container; the rest keeps the browser off the (closed) network. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
