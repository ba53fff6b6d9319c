import { describe, expect, it } from 'vitest';
import { planShards } from '../../lib/datasets/shard-plan.ts';

describe('planShards', () => {
  it('tiles the samples with contiguous ranges, the last one shorter', () => {
    expect(planShards(10, 4)).toEqual([
      { index: 0, start: 0, end: 4 },
      { index: 1, start: 4, end: 8 },
      { index: 2, start: 8, end: 10 },
    ]);
    expect(planShards(60000, 2000)).toHaveLength(30);
  });

  it('rejects non-positive sizes with the value in the message', () => {
    expect(() => planShards(10, 0)).toThrowError(
      'Expected `shardSize` to be a whole number from 1 and up, got `0`',
    );
    expect(() => planShards(0, 5)).toThrowError(/sample count/);
  });
});
