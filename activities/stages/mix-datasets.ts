import { buildManifest, type DatasetManifest } from '../../lib/datasets/manifest.ts';
import type { Sha256 } from '../../lib/digest.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson, putJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { codeOf, type Fingerprinted } from './stage-input.ts';

export function createMixDatasetsActivities({ store }: { store: ArtifactStore }) {
  return {
    /** D = A + B as a manifest over both datasets' shards: no pixels are copied. */
    mixDatasets(input: { a: Sha256; b: Sha256; name: string } & Fingerprinted) {
      return runStage(async () => {
        const [a, b] = [
          await getJson<DatasetManifest>(store, input.a),
          await getJson<DatasetManifest>(store, input.b),
        ];
        if (a.classes.join('\n') !== b.classes.join('\n'))
          throw new Error(`Cannot mix ${a.name} and ${b.name}: their classes differ`);
        const shards = [
          ...a.shards,
          ...b.shards.map((s) => ({
            ...s,
            index: s.index + a.shards.length,
            firstSample: s.firstSample + a.count,
          })),
        ];
        const manifest = buildManifest({
          name: input.name,
          source: { kind: 'mix', parents: [input.a, input.b] },
          classes: a.classes,
          count: a.count + b.count,
          ...(a.image ? { image: a.image } : {}),
          shards,
          codeVersion: codeOf(input),
        });
        const ref = await putJson(store, manifest);
        return {
          outputs: { dataset: ref.digest },
          facts: { count: manifest.count, classHistogram: manifest.classHistogram },
        };
      });
    },
  };
}
