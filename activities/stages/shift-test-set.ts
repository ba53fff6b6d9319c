import type { Sha256 } from '../../lib/digest.ts';
import {
  applyShift,
  isShiftName,
  SHIFT_NAMES,
  SHIFTS,
  shiftParameter,
  type ShiftName,
} from '../../lib/images/shifts.ts';
import { InputError } from '../../lib/input-error.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { runStage } from '../as-stage.ts';
import { loadImageSet, storeImageSet } from '../image-sets.ts';
import { jpegRoundTrip } from '../jpeg.ts';
import { mapImages } from '../map-images.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';

export type ShiftTestSetInput = {
  /** The test dataset's manifest digest. */
  dataset: Sha256;
  /** One of SHIFT_NAMES (lib/images/shifts.ts, which also holds the severity table). */
  shift: ShiftName;
  /** 1 (mild) to 5 (strong). */
  severity: number;
  /** The output dataset's name; default `<input name>/<shift>-<severity>`. */
  name?: string;
} & Seeded &
  Fingerprinted;

export function createShiftTestSetActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * A shifted copy of a test set (robustness, in the style of ImageNet-C): every image
     * transformed by `shift` at `severity`, same size, order and labels. Random parts (noise,
     * rotation sign, translation direction) come from one stream of the seed, image by image in
     * order, so the output is the same bytes for the same seed.
     */
    shiftTestSet(input: ShiftTestSetInput) {
      return runStage(async () => {
        if (!isShiftName(input.shift))
          throw new InputError(
            `Unknown shift \`${String(input.shift)}\`; expected one of ${SHIFT_NAMES.join(', ')}`,
          );
        const parameter = shiftParameter(input.shift, input.severity);
        const set = await loadImageSet(store, input.dataset);
        const { channels } = set;
        if (channels !== 1 && channels !== 3)
          throw new InputError(
            `${set.name}: shifts take grey (1 channel) or RGB (3 channel) images, it has ${channels} channels`,
          );
        const rng = Rng.stream(input.seed, input.stream);
        const { pixels, meanAbsChange } = await mapImages(set, (image) =>
          input.shift === 'jpeg'
            ? jpegRoundTrip(image, parameter)
            : applyShift(image, input.shift, input.severity, rng),
        );
        const { digest, manifest } = await storeImageSet(
          store,
          {
            ...set,
            name: input.name ?? `${set.name}/${input.shift}-${input.severity}`,
            pixels,
            labels: set.labels.slice(),
          },
          {
            kind: 'shifted',
            parents: [input.dataset],
            params: {
              shift: input.shift,
              severity: input.severity,
              parameter,
              family: SHIFTS[input.shift].kind,
              seed: input.seed,
              stream: input.stream,
            },
          },
          codeOf(input),
        );
        return {
          outputs: { dataset: digest },
          facts: {
            count: manifest.count,
            classHistogram: manifest.classHistogram,
            shift: input.shift,
            severity: input.severity,
            parameter,
            meanAbsChange,
          },
        };
      });
    },
  };
}
