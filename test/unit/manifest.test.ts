import { describe, expect, it } from 'vitest';
import { buildManifest, type ShardRecord } from '../../lib/datasets/manifest.ts';

const digest = (c: string) => c.repeat(64);
const shard = (
  index: number,
  firstSample: number,
  count: number,
  classHistogram: number[],
): ShardRecord => ({
  index,
  key: `sha256/${digest(String(index)).slice(0, 2)}/${digest(String(index))}`,
  sha256: digest(String(index)),
  bytes: 100,
  count,
  firstSample,
  classHistogram,
});
const base = {
  name: 'toy/train',
  source: { kind: 'idx', indexDigest: digest('a') },
  classes: ['a', 'b'],
  codeVersion: '0.1.0',
};

describe('buildManifest', () => {
  it('sums the shard histograms and orders shards by index', () => {
    const manifest = buildManifest({
      ...base,
      count: 5,
      shards: [shard(1, 3, 2, [0, 2]), shard(0, 0, 3, [2, 1])],
    });
    expect(manifest.classHistogram).toEqual([2, 3]);
    expect(manifest.shards.map((s) => s.index)).toEqual([0, 1]);
  });

  it('refuses shards that leave a gap, overlap, or miss samples', () => {
    expect(() =>
      buildManifest({
        ...base,
        count: 5,
        shards: [shard(0, 0, 2, [1, 1]), shard(1, 3, 2, [1, 1])],
      }),
    ).toThrowError(
      'toy/train: shard records do not tile the samples: shard 1 starts at 3 with 2 samples, expected shard 1 at 2',
    );
    expect(() =>
      buildManifest({
        ...base,
        count: 6,
        shards: [shard(0, 0, 3, [1, 2]), shard(1, 3, 2, [1, 1])],
      }),
    ).toThrowError('toy/train: shards hold 5 samples, the source has 6');
    expect(() => buildManifest({ ...base, count: 3, shards: [shard(0, 0, 3, [3])] })).toThrowError(
      /histogram over 1 classes, expected 2/,
    );
  });
});
