import sharp from 'sharp';
import type { Sha256 } from '../../lib/digest.ts';
import { Rng } from '../../lib/rng.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { runStage } from '../as-stage.ts';
import { indicesOf } from '../image-selection.ts';
import { loadImageSet } from '../image-sets.ts';
import type { Fingerprinted, Seeded } from './stage-input.ts';

export function createSampleGridActivities({ store }: { store: ArtifactStore }) {
  return {
    /** A PNG grid: one row per class, `perClass` random samples of it (the paper's Figures 4-7). */
    sampleGrid(input: { dataset: Sha256; perClass: number } & Seeded & Fingerprinted) {
      return runStage(async () => {
        const set = await loadImageSet(store, input.dataset);
        const rng = Rng.stream(input.seed, input.stream);
        const { width: w, height: h, channels } = set;
        const gap = 2;
        const gridW = input.perClass * (w + gap) + gap;
        // One row per class present (a study of a few classes gets no empty rows).
        const present = set.classes.map((_, c) => c).filter((c) => set.labels.includes(c));
        const gridH = present.length * (h + gap) + gap;
        const grid = Buffer.alloc(gridW * gridH * channels, 255);
        present.forEach((c, row) => {
          const ix = indicesOf(set.labels, c);
          const chosen = rng
            .sampleIndices(ix.length, Math.min(input.perClass, ix.length))
            .map((i) => ix[i]!);
          chosen.forEach((sample, col) => {
            for (let y = 0; y < h; y++) {
              const src = (sample * h * w + y * w) * channels;
              const dst = ((row * (h + gap) + gap + y) * gridW + col * (w + gap) + gap) * channels;
              grid.set(set.pixels.subarray(src, src + w * channels), dst);
            }
          });
        });
        let image = sharp(grid, {
          raw: { width: gridW, height: gridH, channels: channels as 1 | 3 | 4 },
        });
        if (channels === 1) image = image.toColourspace('b-w');
        const png = await image
          .resize(gridW * 2, gridH * 2, { kernel: 'nearest' })
          .png({ compressionLevel: 6, adaptiveFiltering: false })
          .toBuffer();
        const ref = await store.put(png);
        return { outputs: { grid: ref.digest }, facts: {} };
      });
    },
  };
}
