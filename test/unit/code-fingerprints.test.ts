// Code fingerprints: what a module loads, read from its text; the import closure; and, on a copy
// of this very tree, which stages an edit changes (a README edit none, fid.ts only `evaluate`,
// trainers/ddpm.py only the DDPM training).
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CodeChangedError,
  CodeFingerprints,
  REPO_ROOT,
} from '../../activities/code-fingerprints.ts';
import { STAGE_NAMES } from '../../activities/stage-code.ts';
import { codeChanges } from '../../lib/code/code-manifest.ts';
import { importClosure } from '../../lib/code/import-closure.ts';
import { pyModuleDeps, tsModuleDeps } from '../../lib/code/module-deps.ts';
import { DEFAULT_INFERENCE } from '../../lib/config.ts';
import { artifactParts } from '../../lib/storage/artifact-parts.ts';

const runtime = {
  inference: DEFAULT_INFERENCE,
  trainer: { python: '/nonexistent/python', workDir: '/tmp' },
};

describe('module dependencies', () => {
  it('finds static, re-exported, side-effect, dynamic and asset imports, and skips type-only ones', () => {
    const deps = tsModuleDeps(`
      import sharp from 'sharp';
      import { a, type B } from './a.ts';
      import type { C } from './types-only.ts';
      export type { D } from './types-too.ts';
      export * from '../b.ts';
      import './side-effect.ts';
      // import { commented } from './commented.ts';
      /* import x from './block-comment.ts'; */
      const s = '// not a comment';
      import {
        multi,
        line,
      } from './multi.ts';
      const t = await import('./dynamic.ts');
      type T = typeof import('./typeof-only.ts');
      const url = new URL('./thread.ts', import.meta.url);
      const root = new URL('..', import.meta.url);
      import { readFileSync } from 'node:fs';
      import { Client } from '@temporalio/client/lib/x.js';
    `);
    expect(deps.relative).toEqual([
      '../b.ts',
      './a.ts',
      './dynamic.ts',
      './multi.ts',
      './side-effect.ts',
      './thread.ts',
    ]);
    expect(deps.packages).toEqual(['@temporalio/client', 'sharp']);
  });

  it("reads a Python package's own imports", () => {
    const deps = pyModuleDeps(
      'import torch\nfrom . import contract\nfrom .schedules import cosine\nfrom trainers.contract import emit\nimport trainers.util\nfrom numpy import x\n',
      'trainers',
    );
    expect(deps).toEqual(['./contract.py', './schedules.py', './util.py']);
  });

  it('follows imports transitively and names a missing file', () => {
    const files: Record<string, string> = {
      'a/entry.ts': "import { b } from './b.ts'; import x from 'pkg';",
      'a/b.ts': "export * from '../c/c.ts';",
      'c/c.ts': "import y from '@scope/lib/sub';",
    };
    expect(importClosure(['a/entry.ts'], (p) => files[p])).toEqual({
      files: ['a/b.ts', 'a/entry.ts', 'c/c.ts'],
      packages: ['@scope/lib', 'pkg'],
    });
    expect(() => importClosure(['a/missing.ts'], (p) => files[p])).toThrow(
      'a/missing.ts does not exist',
    );
  });
});

describe('code changes and artifact parts', () => {
  it('lists changed, new and removed files, packages and runtime settings', () => {
    const before = {
      format: 'clab.code/v1' as const,
      files: { 'a.ts': '1', 'b.ts': '2', 'old.ts': '3' },
      packages: { sharp: '0.35.5' },
      runtime: {},
    };
    const after = {
      format: 'clab.code/v1' as const,
      files: { 'a.ts': '1', 'b.ts': '9', 'new.ts': '4' },
      packages: { sharp: '0.36.0' },
      runtime: { device: 'cuda' },
    };
    expect(codeChanges(before, after)).toEqual([
      'b.ts',
      'new.ts (new)',
      'old.ts (removed)',
      'package sharp 0.35.5 -> 0.36.0',
      'runtime device none -> cuda',
    ]);
  });

  it("names a manifest's shards, a model card's files and an embedding's model as parts", () => {
    const d = (c: string) => c.repeat(64);
    expect(
      artifactParts({
        format: 'clab.dataset-manifest/v1',
        shards: [{ sha256: d('a') }, { sha256: d('b') }],
        source: { parents: [d('c')] },
      }),
    ).toEqual({ leaves: [d('a'), d('b')], documents: [] });
    expect(
      artifactParts({
        format: 'clab.model/v1',
        onnx: d('d'),
        checkpoint: d('e'),
        trainedOn: d('f'),
      }),
    ).toEqual({ leaves: [d('d'), d('e')], documents: [] });
    expect(artifactParts({ format: 'clab.embedding/v1', onnx: d('1'), model: d('2') })).toEqual({
      leaves: [d('1')],
      documents: [d('2')],
    });
    expect(artifactParts({ format: 'clab.metrics/v1', real: d('3') })).toEqual({
      leaves: [],
      documents: [],
    });
  });
});

describe('stage fingerprints on a copy of this tree', () => {
  let tree: string;
  const fingerprints = (root: string) => {
    const code = new CodeFingerprints(runtime, root);
    const out: Record<string, string> = {};
    for (const name of STAGE_NAMES)
      if (name === 'train')
        for (const trainer of ['ddpm', 'classifier'])
          out[`train:${trainer}`] = code.stage(name, { trainer }).fingerprint;
      else out[name] = code.stage(name).fingerprint;
    out.workflows = code.workflows().fingerprint;
    return out;
  };
  const changedBy = (path: string, edit: (text: string) => string) => {
    const before = fingerprints(tree);
    const file = join(tree, path);
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, edit(original));
    try {
      const after = fingerprints(tree);
      return Object.keys(before).filter((k) => before[k] !== after[k]);
    } finally {
      writeFileSync(file, original);
    }
  };

  beforeAll(() => {
    tree = mkdtempSync(join(tmpdir(), 'clab-tree-'));
    // The files git knows and those it would add (tracked or not: content counts, not commits).
    const files = execFileSync(
      'git',
      ['-C', REPO_ROOT, 'ls-files', '--cached', '--others', '--exclude-standard'],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    for (const f of files) {
      try {
        cpSync(join(REPO_ROOT, f), join(tree, f), { recursive: false });
      } catch {
        // deleted in the work tree but still in the index
      }
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(tree, 'node_modules'));
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('is the same for the copy as for the checkout (no git, other path)', () => {
    expect(fingerprints(tree)).toEqual(fingerprints(REPO_ROOT));
  });

  it('a README edit changes no stage', () => {
    expect(changedBy('README.md', (t) => t + '\ntypo fixed\n')).toEqual([]);
  });

  it('an edit of lib/metrics/fid.ts changes only the evaluation stage', () => {
    expect(changedBy('lib/metrics/fid.ts', (t) => t + '\n// edited\n')).toEqual(['evaluate']);
  });

  it('an edit of trainers/ddpm.py changes only the DDPM training', () => {
    expect(changedBy('trainers/ddpm.py', (t) => t + '\n# edited\n')).toEqual(['train:ddpm']);
  });

  it('an edit of the stage runner changes the workflow fingerprint (the build id), not the stages', () => {
    expect(changedBy('workflows/stage-runner.ts', (t) => t + '\n// edited\n')).toEqual([
      'workflows',
    ]);
  });

  it('an edit of shared image code changes every stage that loads images', () => {
    const changed = changedBy('activities/image-sets.ts', (t) => t + '\n// edited\n');
    expect(changed).toEqual(
      expect.arrayContaining(['realSubset', 'embed', 'fitGenerator', 'train:ddpm', 'sampleGrid']),
    );
    expect(changed).not.toContain('evaluate');
    expect(changed).not.toContain('mixDatasets');
  });

  it('a worker refuses code edited on disk after it started', () => {
    const code = new CodeFingerprints(runtime, tree).snapshot();
    const file = join(tree, 'lib/metrics/fid.ts');
    const original = readFileSync(file, 'utf8');
    expect(() =>
      code.assertUnchanged(['activities/compute/tasks/fid-and-precision-recall.ts'], 'thread'),
    ).not.toThrow();
    writeFileSync(file, original + '\n// edited after start\n');
    try {
      expect(() =>
        code.assertUnchanged(['activities/compute/tasks/fid-and-precision-recall.ts'], 'thread'),
      ).toThrow(CodeChangedError);
      // its fingerprints still describe the code it loaded
      expect(code.stage('evaluate').fingerprint).toBe(
        new CodeFingerprints(runtime, REPO_ROOT).stage('evaluate').fingerprint,
      );
    } finally {
      writeFileSync(file, original);
    }
    expect(dirname(file)).toContain(tree);
  });
});
