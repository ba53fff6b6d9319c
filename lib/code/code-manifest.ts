import type { Sha256 } from '../digest.ts';

/**
 * What computes a stage's result, stored as `records/code/<fingerprint>` (the fingerprint is the
 * sha256 of its canonical JSON): the content digest of every project file the stage's activity
 * reaches, the versions of the packages those files import, and the runtime settings that change
 * its bytes (execution provider; torch, Python onnxruntime and device for trainers).
 */
export interface CodeManifest {
  format: 'clab.code/v1';
  files: Record<string, Sha256>;
  packages: Record<string, string>;
  runtime: Record<string, string>;
}

/** What differs between two code manifests, one line each: `lib/metrics/fid.ts`, `package sharp 0.35.5 -> 0.36.0`. */
export function codeChanges(before: CodeManifest, after: CodeManifest): string[] {
  const out: string[] = [];
  for (const path of union(before.files, after.files)) {
    const [a, b] = [before.files[path], after.files[path]];
    if (a === b) continue;
    out.push(a === undefined ? `${path} (new)` : b === undefined ? `${path} (removed)` : path);
  }
  for (const [what, x, y] of [
    ['package', before.packages, after.packages],
    ['runtime', before.runtime, after.runtime],
  ] as const)
    for (const key of union(x, y))
      if (x[key] !== y[key]) out.push(`${what} ${key} ${x[key] ?? 'none'} -> ${y[key] ?? 'none'}`);
  return out;
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}
