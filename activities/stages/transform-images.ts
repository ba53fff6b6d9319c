import type { Sha256 } from '../../lib/digest.ts';
import { webLike, WEB_LIKE } from '../../lib/images/web-like.ts';
import { InputError } from '../../lib/input-error.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { runStage } from '../as-stage.ts';
import { loadImageSet, storeImageSet } from '../image-sets.ts';
import { mapImages } from '../map-images.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';

/** The training-image transforms the stage knows, with the ranges of their random amounts. */
const TRANSFORMS = { 'web-like': WEB_LIKE } as const;
export type TransformName = keyof typeof TRANSFORMS;

export type TransformImagesInput = {
  /** The dataset to transform (e.g. the real control pool C). */
  dataset: Sha256;
  /** One of TRANSFORMS: `web-like` (lib/images/web-like.ts). */
  transform: TransformName;
  /** The output dataset's name; default `<input name>/<transform>`. */
  name?: string;
} & Seeded &
  Fingerprinted;

export function createTransformImagesActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * A transformed copy of a dataset (a real pool under a documented domain shift): every image
     * through `transform`, same size, order, labels and classes. Image i draws its amounts from
     * the stream `<stream>/<i>` of the seed, so the bytes do not depend on batching or order.
     */
    transformImages(input: TransformImagesInput) {
      return runStage(async () => {
        if (!Object.hasOwn(TRANSFORMS, input.transform))
          throw new InputError(
            `Unknown transform \`${String(input.transform)}\`; expected one of ${Object.keys(TRANSFORMS).join(', ')}`,
          );
        const set = await loadImageSet(store, input.dataset);
        if (set.channels !== 1 && set.channels !== 3)
          throw new InputError(
            `${set.name}: transforms take grey (1 channel) or RGB (3 channel) images, it has ${set.channels} channels`,
          );
        const { pixels, meanAbsChange } = await mapImages(set, (image, i) =>
          webLike(image, input.seed, input.stream, i),
        );
        const { digest, manifest } = await storeImageSet(
          store,
          {
            ...set,
            name: input.name ?? `${set.name}/${input.transform}`,
            pixels,
            labels: set.labels.slice(),
          },
          {
            kind: 'transformed',
            parents: [input.dataset],
            params: {
              transform: input.transform,
              ranges: TRANSFORMS[input.transform],
              seed: input.seed,
              stream: input.stream,
            },
          },
          codeOf(input),
        );
        return {
          outputs: { dataset: digest },
          facts: { count: manifest.count, classHistogram: manifest.classHistogram, meanAbsChange },
        };
      });
    },
  };
}
