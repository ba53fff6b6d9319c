import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { failFastOnBadInput, isNonRetryable } from '../../activities/activity-context.ts';
import { InputError } from '../../lib/input-error.ts';
import { fitPca } from '../../lib/models/pca.ts';
import { ArtifactNotFoundError } from '../../lib/storage/errors.ts';

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('isNonRetryable', () => {
  it('fails fast on our validation errors: InputError, store errors and out-of-range parameters', () => {
    expect(isNonRetryable(new InputError('ImageFolder /x has no class sub-folders'))).toBe(true);
    expect(isNonRetryable(new ArtifactNotFoundError('s3://b', 'ab'.repeat(32)))).toBe(true);
    const pca = thrown(() => fitPca({ rows: 2, cols: 784, data: new Float32Array(1568) }, 1000));
    expect(pca).toBeInstanceOf(RangeError);
    expect((pca as Error).message).toBe(
      'Expected `components` to be a whole number from 1 to 784, got `1000`',
    );
    expect(isNonRetryable(pca)).toBe(true);
    expect(
      isNonRetryable(new RangeError('DDIM steps must be an integer in [1, 1000], got 0')),
    ).toBe(true);
  });

  it('retries the RangeErrors of an exhausted worker: allocation failures and stack overflow', () => {
    expect(isNonRetryable(new RangeError('Array buffer allocation failed'))).toBe(false);
    expect(isNonRetryable(thrown(() => new Array(-1)))).toBe(false);
    expect(isNonRetryable(thrown(() => new Float32Array(-1)))).toBe(false);
    const recurse = (): number => recurse() + 1;
    const overflow = thrown(recurse);
    expect(overflow).toBeInstanceOf(RangeError);
    expect(isNonRetryable(overflow)).toBe(false);
  });

  it('retries everything else', () => {
    expect(isNonRetryable(new Error('ECONNRESET'))).toBe(false);
    expect(isNonRetryable(new TypeError('fetch failed'))).toBe(false);
    expect(isNonRetryable('a string')).toBe(false);
  });
});

describe('failFastOnBadInput', () => {
  it('makes bad input a non-retryable failure with its message and passes resource errors on', async () => {
    const bad = await failFastOnBadInput(async () => {
      throw new RangeError('Expected a severity from 1 to 5, got `9`');
    }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApplicationFailure);
    expect(bad).toMatchObject({
      nonRetryable: true,
      type: 'RangeError',
      message: 'Expected a severity from 1 to 5, got `9`',
    });

    const oom = new RangeError('Array buffer allocation failed');
    await expect(
      failFastOnBadInput(async () => {
        throw oom;
      }),
    ).rejects.toBe(oom);
  });
});
