// What the bins share: run an entry from the built lib/ when installed as a package, or from the
// TypeScript sources through tsx in a clone of the repository (src/ beside bin/), so that neither
// users need tsx at run time nor developers a build before `npm run replica`.

import { existsSync } from 'node:fs';

/** Node-only packages the Node entries need; optional peers, so a browser app does not install them. */
const NODE_PEERS = ['@roamhq/wrtc', 'classic-level', 'ws'];

export async function runEntry(command, sourcePath, libPath) {
  const source = new URL(`../${sourcePath}`, import.meta.url);
  try {
    if (existsSync(source)) {
      const { register } = await import('tsx/esm/api');
      register();
      await import(source.href);
    } else {
      await import(new URL(`../${libPath}`, import.meta.url).href);
    }
  } catch (err) {
    const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && NODE_PEERS.find((p) => String(err.message).includes(`'${p}'`));
    if (!missing) throw err;
    process.stderr.write(`${command}: the package ${missing} is missing; ${command} needs ${NODE_PEERS.join(', ')}:\n  npm install ${NODE_PEERS.join(' ')}\n`);
    process.exit(1);
  }
}
