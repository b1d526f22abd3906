// `npm run docs` step 2: every relative link in the generated reference (docs/api) names a file
// that exists and, with a #fragment, an id or name in it. TypeDoc's own validation checks the
// comments' {@link}s; this catches what its templates write.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', process.argv[2] ?? 'docs/api');
if (!existsSync(join(root, 'index.html'))) {
  console.error(`check-doc-links: ${root} has no index.html (run typedoc first)`);
  process.exit(1);
}

const ids = new Map();
const anchorsOf = (file) => {
  if (!ids.has(file)) {
    const html = readFileSync(file, 'utf8');
    ids.set(file, new Set([...html.matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => m[1])));
  }
  return ids.get(file);
};

let links = 0;
const broken = [];
for (const file of walk(root)) {
  if (!file.endsWith('.html')) continue;
  const html = readFileSync(file, 'utf8');
  for (const [, href] of html.matchAll(/\shref="([^"]*)"/g)) {
    if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(href)) continue; // another site or scheme: not ours to check offline
    links++;
    const [path, fragment] = href.split('#');
    const target = path ? resolve(dirname(file), decodeURI(path)) : file;
    if (!existsSync(target)) broken.push(`${relative(root, file)}: ${href} (no file)`);
    else if (fragment && target.endsWith('.html') && !anchorsOf(target).has(decodeURIComponent(fragment))) broken.push(`${relative(root, file)}: ${href} (no #${fragment})`);
  }
}
if (broken.length > 0) {
  console.error(`check-doc-links: ${broken.length} broken of ${links} links:\n  ${broken.slice(0, 50).join('\n  ')}`);
  process.exit(1);
}
console.log(`check-doc-links: ${links} links in ${relative(process.cwd(), root) || '.'}, none broken`);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
