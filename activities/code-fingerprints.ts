import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../lib/canonical-json.ts';
import type { ClabConfig } from '../lib/config.ts';
import { sha256, type Sha256 } from '../lib/digest.ts';
import type { CodeManifest } from '../lib/code/code-manifest.ts';
import { importClosure } from '../lib/code/import-closure.ts';
import { allStageEntries, stageCodeEntries, type StageCodeRuntime } from './stage-code.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages whose version cannot change a stage's bytes (the SDK plumbing, the CLI parser). */
const BYTE_NEUTRAL_PACKAGES = [/^@temporalio\//, /^commander$/, /^tsx$/];

export interface StageCode {
  fingerprint: Sha256;
  manifest: CodeManifest;
}

/** Thrown when a source file differs from what the worker fingerprinted when it started. */
export class CodeChangedError extends Error {
  override name = 'CodeChangedError';
}

/**
 * The code fingerprints of this worker. File contents are read once, when the worker starts (the
 * code the worker runs is the code it loaded then); `assertUnchanged` tells the code paths that
 * load files later (compute threads, trainer processes) whether those files still match.
 */
export class CodeFingerprints {
  readonly #root: string;
  readonly #contents = new Map<string, string | undefined>();
  readonly #runtime: Pick<ClabConfig, 'inference' | 'trainer'>;
  readonly #byKey = new Map<string, StageCode>();
  #trainerVersions: Record<string, string> | undefined;

  constructor(runtime: Pick<ClabConfig, 'inference' | 'trainer'>, root = REPO_ROOT) {
    this.#root = root;
    this.#runtime = runtime;
  }

  /** The fingerprint of the code that computes stage `name` with these parameters. */
  stage(name: string, params: Record<string, unknown> = {}): StageCode {
    const { entries, runtime } = stageCodeEntries(name, params);
    const key = `${entries.join(',')}|${runtime ?? ''}`;
    let code = this.#byKey.get(key);
    if (!code) {
      code = this.#fingerprint(entries, runtime, BYTE_NEUTRAL_PACKAGES);
      this.#byKey.set(key, code);
    }
    return code;
  }

  /** The fingerprint of the workflow code (with the SDK version: it decides replay behaviour). */
  workflows(): StageCode {
    return this.#fingerprint(['workflows/index.ts'], undefined, []);
  }

  /** Throws CodeChangedError if any project file in the closure of `entries` changed on disk. */
  assertUnchanged(entries: readonly string[], what: string): void {
    const { files } = importClosure(entries, (p) => this.#read(p));
    const changed = files.filter((p) => readOrUndefined(join(this.#root, p)) !== this.#read(p));
    if (changed.length)
      throw new CodeChangedError(
        `${what}: ${changed.join(', ')} changed on disk since this worker started; restart the worker so that its stage keys describe the code it runs`,
      );
  }

  /**
   * Reads every file of every stage (and of the workflows) now: the snapshot is the code this
   * worker loaded, and later edits on disk cannot leak into its fingerprints.
   */
  snapshot(): this {
    for (const entries of allStageEntries()) importClosure(entries, (p) => this.#read(p));
    importClosure(['workflows/index.ts'], (p) => this.#read(p));
    return this;
  }

  #fingerprint(
    entries: readonly string[],
    runtime: StageCodeRuntime | undefined,
    neutral: readonly RegExp[],
  ): StageCode {
    const closure = importClosure(entries, (p) => this.#read(p));
    const files: Record<string, Sha256> = {};
    for (const p of closure.files) files[p] = sha256(this.#read(p)!);
    const packages: Record<string, string> = {};
    for (const name of closure.packages)
      if (!neutral.some((re) => re.test(name))) packages[name] = this.#packageVersion(name);
    const manifest: CodeManifest = {
      format: 'clab.code/v1',
      files,
      packages,
      runtime: this.#runtimeOf(runtime),
    };
    return { fingerprint: sha256(canonicalJson(manifest)), manifest };
  }

  #runtimeOf(runtime: StageCodeRuntime | undefined): Record<string, string> {
    if (runtime === 'onnx')
      return { executionProviders: this.#runtime.inference.executionProviders.join(',') };
    if (runtime === 'trainer') {
      this.#trainerVersions ??= trainerVersions(this.#runtime.trainer.python);
      return { ...this.#trainerVersions, device: process.env.CLAB_TRAINER_DEVICE || 'cpu' };
    }
    return {};
  }

  #packageVersion(name: string): string {
    const path = join('node_modules', name, 'package.json');
    const text = this.#read(path);
    if (text === undefined) return 'missing';
    return (JSON.parse(text) as { version: string }).version;
  }

  #read(path: string): string | undefined {
    if (!this.#contents.has(path))
      this.#contents.set(path, readOrUndefined(join(this.#root, path)));
    return this.#contents.get(path);
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** torch's and Python onnxruntime's versions in the trainers' interpreter (what changes their bytes). */
function trainerVersions(python: string): Record<string, string> {
  const probe = spawnSync(
    python,
    [
      '-c',
      'import torch, onnxruntime, platform; print(torch.__version__, onnxruntime.__version__, platform.python_version())',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const [torch, onnxruntime, pythonVersion] = (probe.stdout ?? '').trim().split(/\s+/);
  if (probe.status !== 0 || !torch) return { torch: 'unavailable' };
  return { torch, onnxruntimePython: onnxruntime!, python: pythonVersion! };
}
