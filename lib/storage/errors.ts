import type { Sha256 } from '../digest.ts';

export class ArtifactNotFoundError extends Error {
  override readonly name = 'ArtifactNotFoundError';
  constructor(
    readonly location: string,
    readonly digest: Sha256,
  ) {
    super(`Artifact sha256:${digest} is not in the store ${location}`);
  }
}

/** The bytes read back do not hash to the digest their key names: corruption, never returned. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
  constructor(
    readonly location: string,
    readonly key: string,
    readonly expected: Sha256,
    readonly actual: Sha256,
  ) {
    super(
      `Artifact ${key} in ${location} is corrupt: its bytes hash to sha256:${actual}, expected sha256:${expected}`,
    );
  }
}

/** The store is unusable as configured (missing bucket, refused credentials, bad URL): retrying cannot help. */
export class StoreConfigError extends Error {
  override readonly name = 'StoreConfigError';
}

/** The store did not answer (server down or restarting): worth retrying. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
