// `npm run build:lib`: the installable package's lib/ (ESM .js + .d.ts of the public entries, tsconfig.lib.json).
//
// The sources import each other without extensions (moduleResolution "Bundler"), which Node's ESM
// loader and a consumer's `moduleResolution: "NodeNext"` both refuse; so after tsc emits, every
// relative specifier is rewritten to the file it names ('./x' -> './x.js', './dir' -> './dir/index.js'),
// and one that names no emitted file fails the build instead of failing in a user's app.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lib = join(root, 'lib');

rmSync(lib, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
let rewritten = 0;
const broken = [];

for (const file of walk(lib)) {
  if (!/\.(js|d\.ts)$/.test(file)) continue;
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SPECIFIER, (whole, lead, quote, spec) => {
    const target = resolveSpecifier(dirname(file), spec);
    if (target === undefined) {
      broken.push(`${relative(root, file)}: ${spec}`);
      return whole;
    }
    rewritten++;
    return `${lead}${quote}${target}${quote}`;
  });
  if (out !== text) writeFileSync(file, out);
}

if (broken.length > 0) {
  console.error(`build:lib: ${broken.length} relative import(s) name no emitted file:\n  ${broken.join('\n  ')}`);
  process.exit(1);
}
console.log(`build:lib: lib/ written, ${rewritten} relative imports given extensions`);

/** The specifier with the extension Node needs, or undefined when no emitted file answers it. */
function resolveSpecifier(from, spec) {
  if (/\.(m?js|json)$/.test(spec) && existsSync(join(from, spec))) return spec;
  if (existsSync(join(from, `${spec}.js`))) return `${spec}.js`;
  if (existsSync(join(from, spec, 'index.js'))) return `${spec.replace(/\/$/, '')}/index.js`;
  return undefined;
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
