/**
 * What a source file loads at run time, read from its text: the files it names by relative path
 * and the packages it names by bare specifier. Type-only imports are left out: they are erased
 * before the code runs, so they cannot change what it computes.
 */
export interface ModuleDeps {
  /** Relative specifiers, as written (`./x.ts`, `../lib/y.ts`). */
  relative: string[];
  /** Bare specifiers reduced to package names (`sharp`, `@temporalio/activity`); `node:` ones dropped. */
  packages: string[];
}

// `import x from '…'`, `import { a, type B } from '…'`, `export * from '…'`, `import '…'`; the
// statement may span lines. `import type` / `export type` statements are matched and skipped.
const STATIC =
  /(?:^|[;}\n])\s*(import|export)(\s+type\b)?\s*(?:[^'";]*?\sfrom\s*)?['"]([^'"\n]+)['"]/g;
// `import('…')` with a literal, and `new URL('…', import.meta.url)` (worker threads, assets).
const DYNAMIC = /(?<!typeof\s)\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const ASSET_URL = /new\s+URL\(\s*['"]([^'"\n]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

/** The run-time dependencies of a TypeScript/JavaScript module's source text. */
export function tsModuleDeps(source: string): ModuleDeps {
  const text = stripComments(source);
  const specifiers: string[] = [];
  for (const m of text.matchAll(STATIC)) if (!m[2]) specifiers.push(m[3]!);
  for (const m of text.matchAll(DYNAMIC)) specifiers.push(m[1]!);
  // Only code and data files: a URL of an interpreter or a directory is not part of the code.
  for (const m of text.matchAll(ASSET_URL))
    if (/\.(ts|mts|js|mjs|cjs|json|py)$/.test(m[1]!)) specifiers.push(m[1]!);
  return splitSpecifiers(specifiers);
}

/**
 * The project modules a Python file imports: `from .x import …`, `from package.x import …` and
 * `import package.x` where `package` is the file's own package (the trainers).
 */
export function pyModuleDeps(source: string, packageName: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/^\s*from\s+(\.+|[A-Za-z_][\w.]*)([\w.]*)\s+import\s/gm)) {
    const [, head, tail] = m;
    if (head!.startsWith('.')) out.add(`./${tail!.replace(/^\./, '').replace(/\./g, '/')}.py`);
    else if (head!.split('.')[0] === packageName)
      out.add(`./${head!.split('.').slice(1).join('/')}.py`);
  }
  for (const m of source.matchAll(/^\s*import\s+([A-Za-z_][\w.]*)/gm)) {
    const parts = m[1]!.split('.');
    if (parts[0] === packageName && parts.length > 1) out.add(`./${parts.slice(1).join('/')}.py`);
  }
  return [...out].filter((p) => p !== './.py').sort();
}

function splitSpecifiers(specifiers: string[]): ModuleDeps {
  const relative = new Set<string>();
  const packages = new Set<string>();
  for (const s of specifiers) {
    if (s === '.' || s === '..' || s.endsWith('/')) continue; // a directory, not a module
    if (s.startsWith('./') || s.startsWith('../')) relative.add(s);
    else if (!s.startsWith('node:') && !s.startsWith('/')) packages.add(packageName(s));
  }
  return { relative: [...relative].sort(), packages: [...packages].sort() };
}

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Removes // and /* comments, keeping string literals (so `'//'` inside a string survives). */
function stripComments(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
