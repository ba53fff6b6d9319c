import type { Sha256 } from '../digest.ts';

/** Where an artifact lives: its content digest, its key inside the store, and its size. */
export interface ArtifactRef {
  digest: Sha256;
  key: string;
  bytes: number;
}

/**
 * A content-addressed store of immutable artifacts. Keys derive from the sha256 of the bytes, so a
 * write is idempotent (same bytes, same key) and a read can be verified against its key.
 *
 * Writes are atomic: a reader never sees a partial artifact. Reads verify the digest and throw
 * `DigestMismatchError` rather than return corrupted bytes.
 */
export interface ArtifactStore {
  /** Human-readable location, e.g. `file:///data/store` or `s3://bucket/prefix` (never credentials). */
  readonly location: string;
  put(bytes: Uint8Array): Promise<ArtifactRef>;
  get(digest: Sha256): Promise<Buffer>;
  has(digest: Sha256): Promise<boolean>;
  /** The artifact's size in bytes, or undefined if the store does not hold it (a HEAD/stat). */
  size(digest: Sha256): Promise<number | undefined>;
  delete(digest: Sha256): Promise<void>;
  /** Every key in the store: artifacts (`sha256/...`) and records (`records/...`). */
  listKeys(): AsyncIterable<string>;
  /**
   * Records are small named documents (stage records, lineage links) that point at artifacts.
   * Unlike artifacts they may be replaced, but each write is still atomic.
   */
  putRecord(name: string, bytes: Uint8Array): Promise<void>;
  /** The record's bytes, or undefined if there is none. */
  getRecord(name: string): Promise<Buffer | undefined>;
}

/** Record names: slash-separated segments of letters, digits, `.`, `_`, `-` (no `..`). */
export function recordKey(name: string): string {
  if (
    !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(name) ||
    name.split('/').some((s) => s === '.' || s === '..')
  ) {
    throw new RangeError(
      `Expected a record name of letters, digits, '.', '_' and '-' segments, got \`${name}\``,
    );
  }
  return `records/${name}`;
}
