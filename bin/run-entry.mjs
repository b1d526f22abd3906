// What the bins share: run an entry from the built lib/ when installed as a package, or from the
// TypeScript sources through tsx in a clone of the repository (src/ beside bin/), so that neither
// users need tsx at run time nor developers a build before `npm run replica`.

import { existsSync } from 'node:fs';

/**
 * `peers`: the Node-only packages the entry needs. They are optional peer dependencies (a browser app
 * does not install them), so a missing one gets a clear line instead of a stack trace.
 */
export async function runEntry(command, sourcePath, libPath, peers) {
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
    const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && peers.find((p) => String(err.message).includes(`'${p}'`));
    if (!missing) throw err;
    process.stderr.write(`${command}: the package ${missing} is missing; ${command} needs ${peers.join(', ')}:\n  npm install ${peers.join(' ')}\n`);
    process.exit(1);
  }
}
