import { assertSha256, type Sha256 } from '../digest.ts';

/**
 * The key of an artifact with the given digest: `sha256/<first two hex>/<digest>`. The two-character
 * fan-out keeps directories small on a local disk and spreads S3 key prefixes.
 */
export function contentKey(digest: Sha256): string {
  assertSha256(digest, 'artifact digest');
  return `sha256/${digest.slice(0, 2)}/${digest}`;
}

/** The digest named by a content key, or undefined when the key is not one. */
export function digestOfKey(key: string): Sha256 | undefined {
  const match = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  if (!match || match[2]!.slice(0, 2) !== match[1]) return undefined;
  return match[2];
}
