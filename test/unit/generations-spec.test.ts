import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/input-error.ts';
import { parseGenerationsSpec } from '../../lib/studies/generations-spec.ts';

const demo = readFileSync(new URL('../../studies/generations-gmm.yaml', import.meta.url), 'utf8');

describe('generations study spec', () => {
  it('accepts the demo spec and fills defaults', () => {
    const spec = parseGenerationsSpec(demo, 'generations-gmm.yaml');
    expect(spec.loop).toEqual({
      mode: 'accumulate',
      alphas: [0.5, 1, 2],
      generations: 4,
      gridPerClass: 8,
    });
    const minimal = parseGenerationsSpec(demo.replace('  temperature: 1.0\n', ''), 'x.yaml');
    expect(minimal.generator).toMatchObject({ kind: 'gmm', temperature: 1 });
  });

  it('rejects an unknown key, naming its path', () => {
    expect(() =>
      parseGenerationsSpec(
        demo.replace('  subset: 1000', '  subset: 1000\n  shuffle: true'),
        'bad.yaml',
      ),
    ).toThrowError(/bad\.yaml: invalid study spec:\n {2}dataset: Unrecognized key.*`shuffle`/);
  });

  it('rejects a negative alpha, naming the element', () => {
    const error = (() => {
      try {
        parseGenerationsSpec(demo.replace('alphas: [0.5, 1, 2]', 'alphas: [0.5, -1]'), 'neg.yaml');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error!.message).toMatch(/loop\.alphas\.1: Too small: expected number to be >0/);
  });

  it('rejects a missing dataset and malformed YAML', () => {
    const withoutDataset = demo.replace(
      /dataset:\n {2}name: fashion-mnist\n {2}subset: 1000\n/,
      '',
    );
    expect(() => parseGenerationsSpec(withoutDataset, 'nodata.yaml')).toThrowError(
      / {2}dataset: Invalid input: expected object, received undefined/,
    );
    expect(() => parseGenerationsSpec('study: [unclosed', 'broken.yaml')).toThrowError(
      /broken\.yaml: not valid YAML/,
    );
  });
});
