import type { Sha256 } from '../../lib/digest.ts';
import { LOG_FLOOR } from '../../lib/detection/power-spectrum.ts';
import { InputError } from '../../lib/input-error.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import type { PowerSpectraReport } from '../../lib/studies/detection-result.ts';
import { runStage } from '../as-stage.ts';
import { runInThread, threadTask } from '../compute/run-in-thread.ts';
import { selectImages } from '../image-selection.ts';
import { loadImageSet, type ImageSet } from '../image-sets.ts';
import { codeOf, type Fingerprinted, type Seeded } from './stage-input.ts';
import type PowerSpectraTask from '../compute/tasks/power-spectra.ts';

const powerSpectraTask = threadTask<typeof PowerSpectraTask>(
  new URL('../compute/tasks/power-spectra.ts', import.meta.url),
);

export const POWER_SPECTRA_FORMAT = 'clab.power-spectra/v1';

/** The family-wise level of the per-bin significance threshold. */
const ALPHA = 0.05;

export type PowerSpectraInput = {
  /** The real and the generated dataset (manifests), of one image size. */
  real: Sha256;
  generated: Sha256;
  /** Images drawn from each set (all of a smaller set). */
  maxImages: number;
} & Seeded &
  Fingerprinted;

export function createPowerSpectraActivities({ store }: { store: ArtifactStore }) {
  return {
    /**
     * Azimuthally averaged power spectra of a real and a generated set (Hataya et al. 2023,
     * Figure 6): for up to `maxImages` images of each (a seeded draw, stream `<stream>/real` and
     * `<stream>/generated`), the log radial profile log10(A(r) + 1e-12) of the grey image, one bin
     * per integer radius; per bin the mean and standard deviation over each set, Welch's z of
     * (generated - real) and the bins whose |z| passes the Bonferroni threshold at 5%. Stored as a
     * `clab.power-spectra/v1` artifact (output `spectra`).
     */
    powerSpectra(input: PowerSpectraInput) {
      return runStage(async () => {
        const real = await loadImageSet(store, input.real);
        const generated = await loadImageSet(store, input.generated);
        if (real.width !== generated.width || real.height !== generated.height)
          throw new InputError(
            `${real.name} is ${real.width}x${real.height} and ${generated.name} ${generated.width}x${generated.height}: their spectra have different frequencies`,
          );
        if (real.count < 2 || generated.count < 2)
          throw new InputError(
            `Spectra statistics need at least 2 images of each set (${real.name}: ${real.count}, ${generated.name}: ${generated.count})`,
          );
        const draw = (set: ImageSet, part: string) => {
          const k = Math.min(input.maxImages, set.count);
          const rows = Rng.stream(input.seed, `${input.stream}/${part}`)
            .sampleIndices(set.count, k)
            .sort((a, b) => a - b);
          return selectImages(set, rows, set.name);
        };
        const [r, g] = [draw(real, 'real'), draw(generated, 'generated')];
        const result = await runInThread(powerSpectraTask, {
          real: r,
          generated: g,
          alpha: ALPHA,
        });
        const significantRadii = result.radii.filter(
          (radius) => Math.abs(result.z[radius]!) > result.criticalZ,
        );
        // the peak among finite z (an unbounded z, stored as null, only arises for constant bins)
        let peakRadius = 0;
        result.z.forEach((z, radius) => {
          const best = result.z[peakRadius]!;
          if (Number.isFinite(z) && (!Number.isFinite(best) || Math.abs(z) > Math.abs(best)))
            peakRadius = radius;
        });
        const maxAbsZ = Number.isFinite(result.z[peakRadius]!)
          ? Math.abs(result.z[peakRadius]!)
          : 0;
        const report: PowerSpectraReport = {
          format: POWER_SPECTRA_FORMAT,
          quantity: `log10 of the azimuthal mean of |F(u,v)|^2 / (W H) over each integer radius round(sqrt(u^2 + v^2)) of the grey image in [0, 1], plus ${LOG_FLOOR}`,
          image: { width: real.width, height: real.height },
          radii: result.radii,
          binSizes: result.binSizes,
          real: { dataset: input.real, ...result.real },
          generated: { dataset: input.generated, ...result.generated },
          z: result.z.map((z) => (Number.isFinite(z) ? z : null)),
          alpha: ALPHA,
          criticalZ: result.criticalZ,
          significantRadii,
          seed: input.seed,
          stream: input.stream,
          codeVersion: codeOf(input),
        };
        const stored = await putJson(store, report);
        return {
          outputs: { spectra: stored.digest },
          facts: {
            bins: result.radii.length,
            realCount: r.count,
            generatedCount: g.count,
            maxAbsZ,
            peakRadius,
            criticalZ: result.criticalZ,
            significantBins: significantRadii.length,
          },
        };
      });
    },
  };
}
