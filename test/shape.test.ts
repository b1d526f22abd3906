// The shape of the source (docs/architecture.md): functions under 80 lines, no import
// cycle in src/, the layering rules between src/ directories, and node.ts a few hundred lines.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { functionSpans, importCycles, importEdges, parseSource, readSources, type ImportEdge } from './support/shape';

/**
 * Debt in src/core/, which is being refactored: each entry is a violation as it stands today, and an
 * entry that no longer violates fails the test, so the list only shrinks. Functions are named
 * `file:Class.method` (nested functions add their enclosing names); a cycle by its files, sorted.
 */
const KNOWN_CORE_DEBT = {
  longFunctions: [] as string[],
  cycles: [] as string[][],
  layering: [] as string[],
  /** src/core/node.ts is at or above NODE_TS_MAX_LINES. */
  nodeTsLines: false,
};

/** Debt in signaling/, which its owner is reworking: the same rules as KNOWN_CORE_DEBT. */
const KNOWN_SIGNALING_DEBT = {
  longFunctions: [] as string[],
};

const MAX_FUNCTION_LINES = 80;
const NODE_TS_MAX_LINES = 350;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sources = readSources(ROOT, ['src', 'signaling', 'bench', 'scripts']);
const srcFiles = sources.filter((s) => s.file.startsWith('src/')).map((s) => s.file);
const edges = sources.flatMap((s) => importEdges(s, new Set(sources.map((x) => x.file))));

/** Packages the pure core may use: they compute and do no I/O (SHA-256 for the Merkle trees). */
const CORE_PACKAGES = ['@noble/hashes'];

/** The directory rule a file is under, most specific first. */
function layerOf(file: string): string | undefined {
  for (const layer of ['src/core/protocol', 'src/core', 'src/ports', 'src/adapters', 'src/sim', 'src/runtime', 'src/apps']) {
    if (file.startsWith(`${layer}/`)) return layer;
  }
  return undefined;
}

/** Why an import breaks the layering rules, or undefined if it is allowed. */
function layeringBreak(e: ImportEdge): string | undefined {
  const from = layerOf(e.from);
  const to = e.external ? 'a package' : (layerOf(e.to) ?? e.to);
  const allowed: Record<string, (edge: ImportEdge) => boolean> = {
    'src/core': (x) => (x.external ? CORE_PACKAGES.some((p) => x.to === p || x.to.startsWith(`${p}/`)) : under(x.to, 'src/core', 'src/ports')),
    'src/core/protocol': (x) => !x.external && under(x.to, 'src/core/protocol', 'src/ports'),
    'src/adapters': (x) => !under(x.to, 'src/sim'),
    'src/sim': (x) => !under(x.to, 'src/adapters'),
    'src/apps': (x) => x.external || under(x.to, 'src/runtime', 'src/apps', 'src/ports'),
  };
  const rule = from === undefined ? undefined : allowed[from];
  return rule && !rule(e) ? `${e.from}:${e.line} (${from}) imports ${e.to} (${to})` : undefined;
}

function under(file: string, ...dirs: string[]): boolean {
  return dirs.some((d) => file.startsWith(`${d}/`));
}

/**
 * Fails with one message listing what breaks a rule and is not known debt, and the known debt that
 * no longer breaks it (remove it from the list).
 */
function expectOnlyKnown(rule: string, found: Map<string, string>, known: ReadonlyArray<{ list: string; keys: readonly string[] }>): void {
  const allKnown = new Set(known.flatMap((k) => k.keys));
  const problems = [...found].filter(([key]) => !allKnown.has(key)).map(([, message]) => message);
  for (const { list, keys } of known) {
    for (const key of keys) if (!found.has(key)) problems.push(`${list} lists ${key}, which no longer breaks the rule: remove it`);
  }
  expect(problems, `${rule}:\n  ${problems.join('\n  ')}`).toEqual([]);
}

describe('source shape', () => {
  it(`no function spans more than ${MAX_FUNCTION_LINES} lines`, () => {
    const long = sources.flatMap(functionSpans).filter((f) => f.lines > MAX_FUNCTION_LINES);
    const found = new Map(long.map((f) => [`${f.file}:${f.name}`, `${f.file}:${f.line} ${f.name} spans ${f.lines} lines`]));
    expectOnlyKnown(`functions longer than ${MAX_FUNCTION_LINES} lines`, found, [
      { list: 'KNOWN_CORE_DEBT.longFunctions', keys: KNOWN_CORE_DEBT.longFunctions },
      { list: 'KNOWN_SIGNALING_DEBT.longFunctions', keys: KNOWN_SIGNALING_DEBT.longFunctions },
    ]);
  });

  it('no import cycle among the files of src/ (type-only imports included)', () => {
    const cycles = importCycles(edges, srcFiles);
    const found = new Map(cycles.map((c) => [c.files.join(' '), `cycle: ${c.path.join(' -> ')}`]));
    const known = KNOWN_CORE_DEBT.cycles.map((c) => [...c].sort().join(' '));
    expectOnlyKnown('import cycles', found, [{ list: 'KNOWN_CORE_DEBT.cycles', keys: known }]);
  });

  it('imports follow the layering rules', () => {
    const found = new Map<string, string>();
    for (const e of edges) {
      const broken = layeringBreak(e);
      if (broken) found.set(`${e.from} -> ${e.to}`, broken);
    }
    expectOnlyKnown('layering', found, [{ list: 'KNOWN_CORE_DEBT.layering', keys: KNOWN_CORE_DEBT.layering }]);
  });

  it('src/core/protocol/ imports nothing but src/ports/ and itself (no debt list can excuse it)', () => {
    const fromProtocol = edges.filter((e) => e.from.startsWith('src/core/protocol/'));
    expect(fromProtocol.length, 'src/core/protocol/ has imports to check').toBeGreaterThan(0);
    expect(fromProtocol.map(layeringBreak).filter((b) => b !== undefined)).toEqual([]);
  });

  it('the debt lists name only their own directories (everywhere else the code is fixed instead)', () => {
    const core = [...KNOWN_CORE_DEBT.longFunctions, ...KNOWN_CORE_DEBT.cycles.flat(), ...KNOWN_CORE_DEBT.layering];
    const misplaced = [
      ...core.filter((k) => !k.startsWith('src/core/')),
      ...KNOWN_SIGNALING_DEBT.longFunctions.filter((k) => !k.startsWith('signaling/')),
    ];
    expect(misplaced, 'debt entries outside their directory').toEqual([]);
  });

  it(`src/core/node.ts is under ${NODE_TS_MAX_LINES} lines`, () => {
    const node = sources.find((s) => s.file === 'src/core/node.ts');
    const lines = node ? node.text.split('\n').length - (node.text.endsWith('\n') ? 1 : 0) : 0;
    const over = lines >= NODE_TS_MAX_LINES;
    const message = KNOWN_CORE_DEBT.nodeTsLines
      ? `KNOWN_CORE_DEBT.nodeTsLines is set but src/core/node.ts has ${lines} lines: set it to false`
      : `src/core/node.ts has ${lines} lines (limit: under ${NODE_TS_MAX_LINES})`;
    expect(over, message).toBe(KNOWN_CORE_DEBT.nodeTsLines);
  });
});

describe('the shape checker itself', () => {
  it('measures every kind of function from its first line to its last, named by where it lives', () => {
    const body = (n: number): string => Array.from({ length: n }, () => '  x++;').join('\n');
    const text = [
      'export function top() {', body(2), '  const inner = () => {', body(1), '  };', '}',
      'class K {', '  constructor() {', body(1), '  }', '  get g() { return 1; }', '  m() {', body(3), '  }', '}',
      'const f = function () {', body(80), '};',
      'run(() => 1);',
    ].join('\n');
    const spans = functionSpans(parseSource('src/x.ts', text)).map((f) => `${f.name}@${f.line}:${f.lines}`);
    expect(spans).toEqual(['top@1:7', 'top.inner@4:3', 'K.constructor@9:3', 'K.g@12:1', 'K.m@13:5', 'f@19:82', '<arrow>@101:1']);
  });

  it('follows imports, re-exports, type-only and dynamic imports to the files they name', () => {
    const text = "import type { A } from './a';\nexport * from '../b/index';\nimport x from 'pkg';\nconst c = import('./c.js');\n";
    const known = new Set(['src/m/a.ts', 'src/b/index.ts', 'src/m/c.ts']);
    const found = importEdges(parseSource('src/m/x.ts', text), known).map((e) => `${e.to}:${e.line}:${e.external}`);
    expect(found).toEqual(['src/m/a.ts:1:false', 'src/b/index.ts:2:false', 'pkg:3:true', 'src/m/c.ts:4:false']);
  });

  it('finds each cycle once, with a path through it, and a file importing itself', () => {
    const edge = (from: string, to: string): ImportEdge => ({ from, to, line: 1, external: false });
    const cycles = importCycles([edge('c', 'a'), edge('a', 'b'), edge('b', 'c'), edge('b', 'd'), edge('e', 'e')], ['a', 'b', 'c', 'd', 'e']);
    expect(cycles).toEqual([
      { files: ['a', 'b', 'c'], path: ['a', 'b', 'c', 'a'] },
      { files: ['e'], path: ['e', 'e'] },
    ]);
  });

  it('flags imports across the layers and allows the permitted ones', () => {
    const edge = (from: string, to: string, external = false): ImportEdge => ({ from, to, line: 3, external });
    const broken = [
      edge('src/core/a.ts', 'src/adapters/b.ts'),
      edge('src/core/a.ts', 'idb', true),
      edge('src/core/protocol/a.ts', 'src/core/b.ts'),
      edge('src/core/protocol/a.ts', 'src/core/coordinate/b.ts'),
      edge('src/core/protocol/a.ts', 'src/adapters/b.ts'),
      edge('src/core/protocol/a.ts', '@noble/hashes/sha2.js', true),
      edge('src/adapters/a.ts', 'src/sim/b.ts'),
      edge('src/sim/a.ts', 'src/adapters/b.ts'),
      edge('src/apps/a.ts', 'src/core/b.ts'),
      edge('src/apps/a.ts', 'src/adapters/b.ts'),
    ];
    const allowed = [
      edge('src/core/a.ts', 'src/ports/b.ts'),
      edge('src/core/a.ts', '@noble/hashes/sha2.js', true),
      edge('src/core/protocol/a.ts', 'src/ports/b.ts'),
      edge('src/core/protocol/a.ts', 'src/core/protocol/b.ts'),
      edge('src/apps/a.ts', 'src/runtime/index.ts'),
      edge('src/runtime/a.ts', 'src/adapters/b.ts'),
    ];
    expect(broken.map(layeringBreak).every((b) => b !== undefined)).toBe(true);
    expect(allowed.map(layeringBreak)).toEqual(allowed.map(() => undefined));
    expect(layeringBreak(broken[0] as ImportEdge)).toBe('src/core/a.ts:3 (src/core) imports src/adapters/b.ts (src/adapters)');
  });

  it('fails on debt that is listed but paid, so the lists cannot go stale', () => {
    const found = new Map([['a', 'a breaks it']]);
    expect(() => expectOnlyKnown('rule', found, [{ list: 'L', keys: ['a'] }])).not.toThrow();
    expect(() => expectOnlyKnown('rule', found, [{ list: 'L', keys: ['a', 'b'] }])).toThrow(/L lists b, which no longer breaks the rule/);
    expect(() => expectOnlyKnown('rule', found, [{ list: 'L', keys: [] }])).toThrow(/a breaks it/);
  });
});
