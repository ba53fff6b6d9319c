import { stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../../lib/input-error.ts';

/**
 * The file a source reads: `file` if given, else the default path a Debian package installs, or
 * that path plus `.gz` (debhelper compresses some files under /usr/share/doc). Fails, naming the
 * paths tried and the package, if none exists.
 */
export async function packagedFile(
  file: string | undefined,
  defaultPath: string,
  debianPackage: string,
): Promise<string> {
  if (file !== undefined) return file;
  const candidates = defaultPath.endsWith('.gz')
    ? [defaultPath]
    : [defaultPath, `${defaultPath}.gz`];
  for (const path of candidates) {
    if (await isFile(path)) return path;
  }
  throw new InputError(
    `${candidates.join(' and ')} do${candidates.length === 1 ? 'es' : ''} not exist: install Debian's ${debianPackage} (infra/setup.sh does) or give the file`,
  );
}

/** The bytes, gunzipped if they start with the gzip magic (1f 8b); a broken stream names the file. */
export function gunzipIfCompressed(path: string, bytes: Buffer): Buffer {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new InputError(`${path}: not a complete gzip stream (${(error as Error).message})`);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
