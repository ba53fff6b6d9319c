import { readFile, stat } from 'node:fs/promises';
import { sha256 } from '../../lib/digest.ts';
import type { SourceFile } from '../../lib/datasets/source.ts';
import { InputError } from '../../lib/input-error.ts';

/** Reads a file and pins it by digest, for a source index. */
export async function pinFile(path: string): Promise<{ file: SourceFile; bytes: Buffer }> {
  const bytes = await readSourceFile(path);
  return { file: { path, sha256: sha256(bytes), bytes: bytes.byteLength }, bytes };
}

/** Reads a pinned file, failing if it changed since it was pinned. */
export async function readPinnedFile(file: { path: string; sha256: string }): Promise<Buffer> {
  const bytes = await readSourceFile(file.path);
  const actual = sha256(bytes);
  if (actual !== file.sha256) {
    throw new InputError(
      `${file.path} changed since the ingest indexed it: sha256 is now ${actual}, was ${file.sha256}`,
    );
  }
  return bytes;
}

async function readSourceFile(path: string): Promise<Buffer> {
  try {
    if (!(await stat(path)).isFile()) throw new InputError(`${path} is not a file`);
    return await readFile(path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path} does not exist`);
    throw new InputError(`${path}: cannot read: ${(error as Error).message}`);
  }
}
