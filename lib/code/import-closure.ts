import { posix } from 'node:path';
import { pyModuleDeps, tsModuleDeps } from './module-deps.ts';

/** Every project file a set of entry files loads, transitively, and every package they name. */
export interface ImportClosure {
  /** Repository-relative paths, sorted. */
  files: string[];
  /** Package names, sorted. */
  packages: string[];
}

/**
 * The import closure of `entries` (repository-relative paths), reading file text through `read`
 * (undefined for a file that does not exist). A relative import that names no file is an error:
 * a fingerprint that silently missed a file would be worse than none.
 */
export function importClosure(
  entries: readonly string[],
  read: (path: string) => string | undefined,
): ImportClosure {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [...entries];
  while (pending.length) {
    const path = pending.pop()!;
    if (files.has(path)) continue;
    const text = read(path);
    if (text === undefined) throw new Error(`Cannot fingerprint code: ${path} does not exist`);
    files.add(path);
    const dir = posix.dirname(path);
    if (path.endsWith('.py')) {
      const pkg = path.split('/')[0]!;
      for (const rel of pyModuleDeps(text, pkg)) {
        const target = posix.join(dir, rel);
        if (read(target) !== undefined) pending.push(target);
      }
      continue;
    }
    const deps = tsModuleDeps(text);
    for (const p of deps.packages) packages.add(p);
    for (const rel of deps.relative) pending.push(posix.normalize(posix.join(dir, rel)));
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}
