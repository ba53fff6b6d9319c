import { sha256, type Sha256 } from '../digest.ts';
import { DigestMismatchError } from './errors.ts';

/** Returns `bytes` if they hash to `expected`; otherwise throws `DigestMismatchError`. */
export function verified(bytes: Buffer, expected: Sha256, location: string, key: string): Buffer {
  const actual = sha256(bytes);
  if (actual !== expected) throw new DigestMismatchError(location, key, expected, actual);
  return bytes;
}
