import { describe, expect, it } from 'vitest';
import { referenceEngine } from '../../lib/matrix/reference-engine.ts';
import { imageAt } from '../../lib/replication/image-set.ts';
import { normalisedL2 } from '../../lib/replication/pixel-distances.ts';
import {
  replicationAudit,
  DEFAULT_AUDIT_OPTIONS,
  type ScoreAudit,
} from '../../lib/replication/replication-audit.ts';
import { Rng } from '../../lib/rng.ts';
import { blobImages, imageSetOf } from '../fixtures/replication/blob-images.ts';

// Copies planted by code into a set of fresh blob images; each score must find exactly the copies
// its definition admits. Images 32x32, tile grid 4x4 (8x8 tiles).
const H = 32;
const W = 32;
const rng = Rng.stream(2023, 'replication-planted');
const train = blobImages(rng, 200, H, W);
const test = blobImages(rng, 200, H, W);
const fresh = blobImages(rng, 40, H, W);
const source = (j: number) => Float64Array.from(imageAt(train, j));

const planted = {
  exact: { train: 10, image: source(10) },
  noise: {
    train: 20,
    image: source(20).map((v) => Math.min(1, Math.max(0, v + 0.01 * rng.normal()))),
  },
  shift: { train: 30, image: source(30).map((_, p, a) => a[p % W === 0 ? p : p - 1]!) }, // right by one pixel
  block: {
    train: 40,
    // Tile (1, 2) (rows 8-15, columns 16-23) moved by +-0.25 in a checkerboard: exactly one tile differs.
    image: source(40).map((v, p) => {
      const [y, x] = [Math.floor(p / W), p % W];
      return y >= 8 && y < 16 && x >= 16 && x < 24 ? v + ((x + y) % 2 ? 0.25 : -0.25) : v;
    }),
  },
  flip: { train: 50, image: source(50).map((_, p, a) => a[p - (p % W) + (W - 1 - (p % W))]!) },
};
const kinds = Object.keys(planted) as (keyof typeof planted)[];
const generated = imageSetOf(
  [
    ...kinds.map((k) => planted[k].image),
    ...Array.from({ length: fresh.count }, (_, i) => Float64Array.from(imageAt(fresh, i))),
  ],
  H,
  W,
);

const audit = await replicationAudit(
  { images: { generated, train, test } },
  DEFAULT_AUDIT_OPTIONS,
  referenceEngine,
);
const score = (kind: ScoreAudit['kind']) => audit.scores.find((s) => s.kind === kind)!;

/** The planted kinds (and fresh images) whose score lies beyond `threshold`. */
function found(kind: ScoreAudit['kind'], threshold: number): string[] {
  const s = score(kind);
  const names: string[] = [];
  s.generated.scores.forEach((v, i) => {
    if (v < threshold) names.push(i < kinds.length ? kinds[i]! : `fresh ${i}`);
  });
  return names;
}

describe('planted copies in pixel space', () => {
  it('the block edit is hand-computable: normalised L2 = 0.25 sqrt(64 / 1024) = 0.0625, tiled L2 = 0.25', () => {
    const i = kinds.indexOf('block');
    expect(score('normalised-l2').generated.scores[i]).toBeCloseTo(0.0625, 12);
    expect(score('tiled-l2').generated.scores[i]).toBeCloseTo(0.25, 12);
    expect(score('normalised-l2').generated.scores[kinds.indexOf('exact')]).toBe(0);
  });

  it('shift and flip really change the image (RMS > 0.1 from their source): the grain moves', () => {
    for (const k of ['shift', 'flip'] as const)
      expect(normalisedL2(planted[k].image, imageAt(train, planted[k].train))).toBeGreaterThan(0.1);
  });

  it('normalised L2 < 0.1 finds the exact, noisy and block-edited copies; not the shifted or flipped', () => {
    expect(found('normalised-l2', 0.1)).toEqual(['exact', 'noise', 'block']);
  });

  it('tiled L2 < 0.1 finds the exact and noisy copies; the block edit fails in its one tile', () => {
    expect(found('tiled-l2', 0.1)).toEqual(['exact', 'noise']);
  });

  it('ratio < 1/3 finds the exact and noisy copies; the block edit is not 3 times closer to its source than to the next image', () => {
    expect(found('nn-ratio', 1 / 3)).toEqual(['exact', 'noise']);
    const i = kinds.indexOf('block');
    const ratio = score('nn-ratio').generated.scores[i]!;
    const candidates = score('normalised-l2').generatedTopK;
    // The ratio is its definition: the two nearest normalised L2 distances.
    expect(ratio).toBeCloseTo(
      candidates.scores[i * candidates.k]! / candidates.scores[i * candidates.k + 1]!,
      14,
    );
    expect(ratio).toBeGreaterThan(1 / 3);
  });

  it('each found copy is matched to the training image it was made from', () => {
    for (const [kind, copies] of [
      ['normalised-l2', ['exact', 'noise', 'block']],
      ['tiled-l2', ['exact', 'noise']],
      ['nn-ratio', ['exact', 'noise']],
    ] as const)
      for (const k of copies)
        expect(score(kind).generated.train[kinds.indexOf(k)]).toBe(planted[k].train);
  });

  it('the calibrated thresholds flag the exact and noisy copies (and the fixed 0.15 normalised L2 also the block edit)', () => {
    for (const kind of ['normalised-l2', 'tiled-l2', 'nn-ratio'] as const) {
      const flagged = score(kind).calibrated.flagged.map((f) => f.generated);
      expect(flagged).toContain(kinds.indexOf('exact'));
      expect(flagged).toContain(kinds.indexOf('noise'));
    }
    expect(score('normalised-l2').fixed!.flagged.map((f) => f.generated)).toContain(
      kinds.indexOf('block'),
    );
  });

  it('a published cut-off does not transfer: on these grainy images 0.15 normalised L2 flags every fresh image too', () => {
    expect(score('normalised-l2').fixed).toMatchObject({
      calibrated: false,
      flaggedCount: generated.count,
    });
    expect(score('normalised-l2').calibrated.flaggedCount).toBe(3); // exact, noise, block
  });
});
