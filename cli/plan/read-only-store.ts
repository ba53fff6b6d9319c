import { isSha256, sha256, type Sha256 } from '../../lib/digest.ts';
import type { ArtifactRef, ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { contentKey } from '../../lib/storage/content-key.ts';

/** What a plan puts in place of an output it would compute: `pending:<stage key or label>/<name>`. */
export const PLACEHOLDER_PREFIX = 'pending:';

export function isPlaceholder(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PLACEHOLDER_PREFIX);
}

/** Thrown when a plan tries to change the store or to read a placeholder from it: a plan bug. */
export class PlanStoreError extends Error {
  override name = 'PlanStoreError';
}

/**
 * The user's store as a plan sees it: reads pass through, every write throws, and reading a
 * placeholder digest throws (a placeholder names an output that does not exist yet).
 */
export function readOnlyStore(store: ArtifactStore): ArtifactStore {
  const refuse = (what: string) => {
    throw new PlanStoreError(`a plan never writes to the store (${what} in ${store.location})`);
  };
  const real = (digest: Sha256, what: string): Sha256 => {
    if (!isSha256(digest))
      throw new PlanStoreError(`a plan tried to ${what} \`${digest}\`, which is not a digest`);
    return digest;
  };
  return {
    location: store.location,
    put: async () => refuse('put'),
    putRecord: async (name) => refuse(`putRecord ${name}`),
    delete: async (digest) => refuse(`delete ${digest}`),
    get: (digest) => store.get(real(digest, 'read')),
    has: (digest) => store.has(real(digest, 'look up')),
    size: (digest) => store.size(real(digest, 'look up the size of')),
    getRecord: (name) => store.getRecord(name),
    listKeys: () => store.listKeys(),
  };
}

/**
 * A read-only store whose `put` only hashes: it answers the ref the bytes would get (artifacts are
 * content-addressed) and writes nothing. The plan's `indexSource` uses it: a source's index is
 * pure content, so its digest is known without storing it.
 */
export function hashingStore(store: ArtifactStore): ArtifactStore {
  const base = readOnlyStore(store);
  return {
    ...base,
    async put(bytes: Uint8Array): Promise<ArtifactRef> {
      const digest = sha256(bytes);
      return { digest, key: contentKey(digest), bytes: bytes.byteLength };
    },
  };
}
