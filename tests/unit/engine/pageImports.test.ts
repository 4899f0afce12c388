// Only the worker loads tfjs (the page reads tfjs-free engine modules such as
// engine/backendOrder.ts): the page's bundle must not import it. Walks the page's import graph
// from src/main.tsx by reading the sources (type-only imports are erased and do not count;
// dynamic import() does) and expects no module of it to import @tensorflow/* at run time.
// A run-time tfjs import anywhere in that graph put all of tfjs into the page's chunk
// (about 870 kB of 1.8 MB, as `npx vite build` showed).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../..');

/** The modules `file` imports at run time: static imports and re-exports that are not type-only, and import(). */
function runtimeImports(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = c !== undefined && (c.isTypeOnly || (!c.name && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const typeOnly = n.isTypeOnly || (n.exportClause !== undefined && ts.isNamedExports(n.exportClause) && n.exportClause.elements.length > 0 && n.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments.length === 1 && ts.isStringLiteral(n.arguments[0])) {
      out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

function resolveLocal(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) if (existsSync(c) && statSync(c).isFile()) return c;
  throw new Error(`cannot resolve ${spec} from ${relative(ROOT, from)}`);
}

/** Every module of the page's graph that imports tfjs at run time, with the path that reaches it. */
function tfjsImporters(entry: string): string[] {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const found: string[] = [];
  while (queue.length) {
    const file = queue.pop()!;
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('@tensorflow/')) {
        const chain: string[] = [];
        for (let f: string | undefined = file; f; f = parent.get(f)) chain.push(relative(ROOT, f));
        found.push(`${spec} ← ${chain.join(' ← ')}`);
      } else if (spec.startsWith('.')) {
        const next = resolveLocal(file, spec);
        if (!parent.has(next)) {
          parent.set(next, file);
          queue.push(next);
        }
      }
    }
  }
  return found;
}

describe('the page does not load tfjs', () => {
  it('no module the page imports (from src/main.tsx) imports @tensorflow/* at run time', () => {
    expect(tfjsImporters(join(ROOT, 'src/main.tsx'))).toEqual([]);
  });

  it('the walk does find a run-time tfjs import: the worker’s graph has them', () => {
    // The same walk from the worker's entry: a walk that missed imports would pass above for nothing.
    expect(tfjsImporters(join(ROOT, 'src/worker/trainer.worker.ts')).length).toBeGreaterThan(0);
  });
});
