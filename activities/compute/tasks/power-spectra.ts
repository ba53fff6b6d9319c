import { logRadialProfiles, spectrumPlan } from '../../../lib/detection/power-spectrum.ts';
import {
  binStatistics,
  bonferroniCriticalZ,
  welchZ,
} from '../../../lib/detection/spectrum-statistics.ts';

/** Images packed as 8-bit pixels, count x H x W x C. */
interface PackedImages {
  pixels: Uint8Array;
  count: number;
  width: number;
  height: number;
  channels: number;
}

/**
 * The log radial profiles of two sets of images (of one size), their per-bin statistics, Welch's z
 * of (generated - real) per bin and the Bonferroni critical |z| at `alpha`.
 */
export default (a: { real: PackedImages; generated: PackedImages; alpha: number }) => {
  const plan = spectrumPlan(a.real.width, a.real.height);
  const real = binStatistics(logRadialProfiles(a.real.pixels, a.real.count, a.real));
  const generated = binStatistics(
    logRadialProfiles(a.generated.pixels, a.generated.count, a.generated),
  );
  return {
    radii: plan.binSizes.map((_, r) => r),
    binSizes: plan.binSizes,
    real,
    generated,
    z: welchZ(real, generated),
    criticalZ: bonferroniCriticalZ(plan.binSizes.length, a.alpha),
  };
};
