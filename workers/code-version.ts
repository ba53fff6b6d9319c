import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The code version recorded in every artifact's provenance: the package version plus the git
 * commit (with `.dirty` when the work tree has changes), or the package version alone outside git.
 */
export function codeVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  try {
    const commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short=12', 'HEAD'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    const dirty = execFileSync(
      'git',
      ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .toString()
      .trim();
    return `${pkg.version}+${commit}${dirty ? '.dirty' : ''}`;
  } catch {
    return pkg.version;
  }
}
