import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256, type Sha256 } from '../digest.ts';
import { recordKey, type ArtifactRef, type ArtifactStore } from './artifact-store.ts';
import { contentKey } from './content-key.ts';
import { ArtifactNotFoundError } from './errors.ts';
import { verified } from './verify.ts';

const TMP_DIR = '.tmp';

/**
 * Artifacts as files under a directory: the embedded default for one machine. A write goes to a
 * temporary file in the same file system, is fsynced, then renamed into place, so a crash never
 * leaves a partial file under an artifact's key.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly location: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.location = pathToFileURL(root).href;
  }

  async put(bytes: Uint8Array): Promise<ArtifactRef> {
    const digest = sha256(bytes);
    const key = contentKey(digest);
    const ref = { digest, key, bytes: bytes.byteLength };
    const path = this.#pathOf(key);
    if ((await sizeOf(path)) === bytes.byteLength) return ref;
    await this.#writeAtomically(path, bytes);
    return ref;
  }

  async putRecord(name: string, bytes: Uint8Array): Promise<void> {
    await this.#writeAtomically(this.#pathOf(recordKey(name)), bytes);
  }

  async getRecord(name: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#pathOf(recordKey(name)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Temp file in the same file system, fsync, rename: readers see the old file or the new one. */
  async #writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    const tmpDir = join(this.#root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    try {
      const handle = await open(tmp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async get(digest: Sha256): Promise<Buffer> {
    const key = contentKey(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#pathOf(key));
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactNotFoundError(this.location, digest);
      throw error;
    }
    return verified(bytes, digest, this.location, key);
  }

  async has(digest: Sha256): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  size(digest: Sha256): Promise<number | undefined> {
    return sizeOf(this.#pathOf(contentKey(digest)));
  }

  async delete(digest: Sha256): Promise<void> {
    await rm(this.#pathOf(contentKey(digest)), { force: true });
  }

  async *listKeys(): AsyncIterable<string> {
    for await (const path of walk(this.#root)) {
      const key = relative(this.#root, path).split(sep).join('/');
      if (!key.startsWith(`${TMP_DIR}/`)) yield key;
    }
  }

  #pathOf(key: string): string {
    return join(this.#root, ...key.split('/'));
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function* walk(dir: string): AsyncIterable<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}
