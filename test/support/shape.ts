// Source-shape analysis for test/shape.test.ts: function lengths, the import graph, its cycles and the
// layer of each file, read with the TypeScript compiler API (syntax only, no type checking, so it is fast).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface FunctionSpan {
  /** Path relative to the repo root, with forward slashes. */
  file: string;
  /** Qualified by the enclosing class and functions, e.g. `DynamoCore.constructor`, `boot.<arrow>`. */
  name: string;
  line: number;
  lines: number;
}

export interface ImportEdge {
  from: string;
  /** The repo-relative file for a relative specifier; the bare specifier for a package. */
  to: string;
  line: number;
  external: boolean;
}

export interface Cycle {
  /** The files of one strongly connected component, sorted: what an allowlist names. */
  files: string[];
  /** A shortest cycle through the first of them, for the failure message. */
  path: string[];
}

export interface SourceFile {
  file: string;
  text: string;
  ast: ts.SourceFile;
}

/** Every .ts file under the given repo-relative directories, parsed. */
export function readSources(root: string, dirs: readonly string[]): SourceFile[] {
  const out: SourceFile[] = [];
  for (const dir of dirs) {
    for (const abs of walk(join(root, dir))) {
      out.push(parseSource(relative(root, abs).split(sep).join('/'), readFileSync(abs, 'utf8')));
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

export function parseSource(file: string, text: string): SourceFile {
  return { file, text, ast: ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true) };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    if (statSync(abs).isDirectory()) out.push(...walk(abs));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(abs);
  }
  return out;
}

type FunctionLike =
  | ts.FunctionDeclaration
  | ts.MethodDeclaration
  | ts.ArrowFunction
  | ts.FunctionExpression
  | ts.ConstructorDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration;

function isFunctionLike(node: ts.Node): node is FunctionLike {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** Every function with a body, its span counted from its first line to its last, both included. */
export function functionSpans(src: SourceFile): FunctionSpan[] {
  const out: FunctionSpan[] = [];
  const visit = (node: ts.Node, scope: string[]): void => {
    let inner = scope;
    if (isFunctionLike(node) && node.body) {
      const name = [...scope, ownName(node)].join('.');
      const line = lineOf(src.ast, node.getStart(src.ast));
      const end = lineOf(src.ast, node.getEnd());
      out.push({ file: src.file, name, line, lines: end - line + 1 });
      inner = [...scope, ownName(node)];
    } else if (ts.isClassLike(node)) {
      inner = [...scope, node.name?.text ?? '<class>'];
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(src.ast, []);
  return out;
}

/** A function's own name: declared, or taken from what it is assigned to; `<arrow>`/`<function>` otherwise. */
function ownName(node: FunctionLike): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText();
  }
  return ts.isArrowFunction(node) ? '<arrow>' : '<function>';
}

function lineOf(ast: ts.SourceFile, pos: number): number {
  return ast.getLineAndCharacterOfPosition(pos).line + 1;
}

/**
 * Every module this file depends on: imports and re-exports (type-only ones too: a cycle of types
 * is still a cycle in the design) and dynamic import() of a literal.
 */
export function importEdges(src: SourceFile, known: ReadonlySet<string>): ImportEdge[] {
  const out: ImportEdge[] = [];
  const add = (spec: ts.Node | undefined, at: ts.Node): void => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    const line = lineOf(src.ast, at.getStart(src.ast));
    const resolved = resolve(src.file, spec.text, known);
    if (resolved) out.push({ from: src.file, to: resolved, line, external: false });
    else if (!spec.text.startsWith('.')) out.push({ from: src.file, to: spec.text, line, external: true });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier, node);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0], node);
    ts.forEachChild(node, visit);
  };
  visit(src.ast);
  return out;
}

/** The repo file a relative specifier names (`./x` -> `x.ts` or `x/index.ts`), if it is one we read. */
function resolve(from: string, spec: string, known: ReadonlySet<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = join(dirname(from), spec).split(sep).join('/');
  const stem = base.replace(/\.(js|ts)$/, '');
  return [`${stem}.ts`, `${stem}/index.ts`].find((f) => known.has(f));
}

/** The import cycles among `files`: one per strongly connected component (Tarjan), with a path through it. */
export function importCycles(edges: readonly ImportEdge[], files: readonly string[]): Cycle[] {
  const graph = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (graph.has(e.from) && graph.has(e.to)) graph.get(e.from)?.push(e.to);
  return stronglyConnected(graph)
    .filter((c) => c.length > 1 || (graph.get(c[0] as string) ?? []).includes(c[0] as string))
    .map((c) => c.sort())
    .map((c) => ({ files: c, path: cyclePath(graph, c) }))
    .sort((a, b) => (a.files[0] as string).localeCompare(b.files[0] as string));
}

function stronglyConnected(graph: ReadonlyMap<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    out.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return out;
}

/** A shortest cycle through the component's first file, staying inside the component (breadth first). */
function cyclePath(graph: ReadonlyMap<string, string[]>, component: string[]): string[] {
  const members = new Set(component);
  const start = component[0] as string;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i] as string;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) return [...pathTo(cameFrom, v, start), start];
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

function pathTo(cameFrom: ReadonlyMap<string, string>, v: string, start: string): string[] {
  const path = [v];
  while (path[0] !== start) path.unshift(cameFrom.get(path[0] as string) as string);
  return path;
}
