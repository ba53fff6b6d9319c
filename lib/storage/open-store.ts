import type { StoreConfig } from '../config.ts';
import type { ArtifactStore } from './artifact-store.ts';
import { LocalArtifactStore } from './local-store.ts';
import { S3ArtifactStore } from './s3-store.ts';

export function openStore(config: StoreConfig): ArtifactStore {
  return config.kind === 'local'
    ? new LocalArtifactStore(config.root)
    : new S3ArtifactStore(config);
}
