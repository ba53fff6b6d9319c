import { isSha256, type Sha256 } from '../digest.ts';

/** What a JSON artifact needs in order to be used: plain artifacts, and JSON documents with parts of their own. */
export interface ArtifactParts {
  leaves: Sha256[];
  documents: Sha256[];
}

/**
 * The parts of a JSON artifact, by its format: a dataset manifest needs its shards; a trained
 * model's card its ONNX export and checkpoint; an ONNX embedding record its ONNX model and the
 * model's card. Provenance links (the dataset a model was trained on, a metric's features) are not
 * parts: the artifact is whole without them. A cached stage is valid only while its outputs and all
 * their parts, transitively, exist.
 */
export function artifactParts(json: unknown): ArtifactParts {
  const none: ArtifactParts = { leaves: [], documents: [] };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return none;
  const doc = json as Record<string, unknown>;
  if (doc.format === 'clab.dataset-manifest/v1' && Array.isArray(doc.shards))
    return {
      leaves: digests(doc.shards.map((s) => (s as { sha256?: unknown }).sha256)),
      documents: [],
    };
  if (doc.format === 'clab.model/v1')
    return { leaves: digests([doc.onnx, doc.checkpoint]), documents: [] };
  if (doc.format === 'clab.embedding/v1')
    return { leaves: digests([doc.onnx]), documents: digests([doc.model]) };
  return none;
}

function digests(values: unknown[]): Sha256[] {
  return values.filter((p): p is Sha256 => typeof p === 'string' && isSha256(p));
}
