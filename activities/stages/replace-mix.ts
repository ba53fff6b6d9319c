import {
  appendSelection,
  fillSelection,
  firstDuplicate,
  mixProvenance,
  replaceSelection,
  type MixManifestSource,
  type MixSelection,
} from '../../lib/datasets/replace-mix.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { InputError } from '../../lib/input-error.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import { runStage } from '../as-stage.ts';
import { selectImages } from '../image-selection.ts';
import { loadImageSet, storeImageSet, type ImageSet } from '../image-sets.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';

/** Every mix stage's input: R, the other dataset O (generated S or a real control C), r or p. */
export type MixStageInput = {
  /** R: the real dataset's manifest digest. */
  real: Sha256;
  /** O: generated images S, or a control C, over the same classes and image size. */
  other: Sha256;
  /** r (replaceMix) or p (fillMix, appendMix). */
  fraction: number;
  /** The output dataset's name. */
  name: string;
} & Seeded &
  Fingerprinted;

type Kind = MixManifestSource['kind'];

/**
 * The contamination study's mixes (Hataya et al., ICCV 2023), selected by the pure functions of
 * lib/datasets/replace-mix.ts and written as ordinary datasets (new shards). Each output manifest's
 * `source` carries `composition` (images per class from R and from O) and `provenance`, the digest
 * of a `clab.mix-provenance/v1` artifact giving every image's origin (source digest and row); the
 * provenance is also an output of the stage, so the stage cache checks it still exists.
 */
export function createReplaceMixActivities({ store }: { store: ArtifactStore }) {
  return {
    /** R/O-r%: a fraction r of R replaced by O class by class; |R| and R's classes kept exactly. */
    replaceMix(input: MixStageInput) {
      return runStage(() => mixStage(store, 'replace-mix', input, replaceSelection));
    },

    /**
     * Table 7: a class-balanced p% subsample of R filled up to |R| with O. Also outputs `subset`,
     * that p% subsample of R alone (the same real images), for the "R (p%)" baseline.
     */
    fillMix(input: MixStageInput) {
      return runStage(() => mixStage(store, 'fill-mix', input, fillSelection));
    },

    /** Table 8: all of R plus O images amounting to +p% of |R|, in R's class proportions. */
    appendMix(input: MixStageInput) {
      return runStage(() => mixStage(store, 'append-mix', input, appendSelection));
    },
  };
}

async function mixStage(
  store: ArtifactStore,
  kind: Kind,
  input: MixStageInput,
  select: (i: Parameters<typeof replaceSelection>[0]) => MixSelection & { kept?: number[] },
) {
  const real = await loadImageSet(store, input.real);
  const other = await loadImageSet(store, input.other);
  checkCompatible(real, other);
  const selection = select({
    realLabels: real.labels,
    otherLabels: other.labels,
    classes: real.classes,
    fraction: input.fraction,
    seed: input.seed,
    stream: input.stream,
    realName: real.name,
    otherName: other.name,
  });
  const duplicate = firstDuplicate(selection.origins);
  if (duplicate)
    // the selection draws without replacement; this guards the invariant
    throw new Error(`${kind}: image ${duplicate.index} of source ${duplicate.source} drawn twice`);

  const provenance = await putJson(store, mixProvenance(selection, input.real, input.other));
  const params = { fraction: input.fraction, seed: input.seed, stream: input.stream };
  const source: MixManifestSource = {
    kind,
    parents: [input.real, input.other],
    params,
    composition: selection.composition,
    provenance: provenance.digest,
  };
  const { digest, manifest } = await storeImageSet(
    store,
    assemble(real, other, selection, input.name),
    source,
    codeOf(input),
  );
  const outputs: Record<string, Sha256> = { dataset: digest, provenance: provenance.digest };
  if (selection.kept) {
    const subset = await storeImageSet(
      store,
      selectImages(real, selection.kept, `${input.name}/real-part`),
      { kind: 'subset', parents: [input.real], params: { ...params, of: kind } },
      codeOf(input),
    );
    outputs.subset = subset.digest;
  }
  const { real: fromReal, other: fromOther } = selection.composition;
  return {
    outputs,
    facts: {
      count: manifest.count,
      classHistogram: manifest.classHistogram,
      fromReal: fromReal.reduce((a, b) => a + b, 0),
      fromOther: fromOther.reduce((a, b) => a + b, 0),
      realPerClass: fromReal,
      otherPerClass: fromOther,
    },
  };
}

function checkCompatible(real: ImageSet, other: ImageSet): void {
  if (real.classes.join('\n') !== other.classes.join('\n'))
    throw new InputError(
      `Cannot mix ${real.name} and ${other.name}: their classes differ (${real.classes.join(', ')} vs ${other.classes.join(', ')})`,
    );
  const shape = (s: ImageSet) => `${s.width}x${s.height}x${s.channels}`;
  if (shape(real) !== shape(other))
    throw new InputError(
      `Cannot mix ${real.name} (${shape(real)} images) and ${other.name} (${shape(other)} images)`,
    );
}

/** The output images in selection order, copied from R (source 0) or O (source 1). */
function assemble(
  real: ImageSet,
  other: ImageSet,
  selection: MixSelection,
  name: string,
): ImageSet {
  const size = real.width * real.height * real.channels;
  const count = selection.origins.length;
  const pixels = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  selection.origins.forEach(({ source, index }, i) => {
    const from = source === 0 ? real : other;
    pixels.set(from.pixels.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = from.labels[index]!;
  });
  return { ...real, name, count, pixels, labels };
}
