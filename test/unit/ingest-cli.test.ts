import { describe, expect, it } from 'vitest';
import { sourceFrom } from '../../cli/commands/ingest.ts';

const base = { split: 'train', shardSize: '2000' };

describe('clab ingest options', () => {
  it('--dataset opencv-digits|sklearn-digits [--resize WxH]', () => {
    expect(sourceFrom({ ...base, dataset: 'opencv-digits' })).toEqual({ kind: 'opencv-digits' });
    expect(sourceFrom({ ...base, dataset: 'sklearn-digits', resize: '28x28' })).toEqual({
      kind: 'sklearn-digits',
      resize: { width: 28, height: 28 },
    });
    expect(sourceFrom({ ...base, dataset: 'fashion-mnist', split: 'test' })).toEqual({
      kind: 'fashion-mnist',
      split: 'test',
    });
  });

  it('rejects a malformed --resize, and --resize with another source', () => {
    expect(() => sourceFrom({ ...base, dataset: 'opencv-digits', resize: '28' })).toThrow(
      'Expected --resize to be WIDTHxHEIGHT, e.g. 28x28, got `28`',
    );
    expect(() => sourceFrom({ ...base, dataset: 'opencv-digits', resize: '0x28' })).toThrow(
      /Expected --resize/,
    );
    expect(() => sourceFrom({ ...base, dataset: 'fashion-mnist', resize: '28x28' })).toThrow(
      '--resize applies to --dataset opencv-digits or sklearn-digits',
    );
    expect(() => sourceFrom({ ...base, dataset: 'mnist' })).toThrow(
      'Expected --dataset to be fashion-mnist, opencv-digits or sklearn-digits (or use --dir for an ImageFolder), got `mnist`',
    );
  });
});
