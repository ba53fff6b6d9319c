import { canonicalJson } from '../canonical-json.ts';
import type { Sha256 } from '../digest.ts';
import type { ArtifactRef, ArtifactStore } from './artifact-store.ts';

/** Stores `value` as canonical JSON, so equal values always get the same digest. */
export function putJson(store: ArtifactStore, value: unknown): Promise<ArtifactRef> {
  return store.put(Buffer.from(canonicalJson(value), 'utf8'));
}

export async function getJson<T>(store: ArtifactStore, digest: Sha256): Promise<T> {
  const bytes = await store.get(digest);
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new Error(
      `Artifact sha256:${digest} in ${store.location} is not JSON: ${(error as Error).message}`,
    );
  }
}

export async function putJsonRecord(
  store: ArtifactStore,
  name: string,
  value: unknown,
): Promise<void> {
  await store.putRecord(name, Buffer.from(canonicalJson(value), 'utf8'));
}

export async function getJsonRecord<T>(store: ArtifactStore, name: string): Promise<T | undefined> {
  const bytes = await store.getRecord(name);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new Error(`Record ${name} in ${store.location} is not JSON: ${(error as Error).message}`);
  }
}
