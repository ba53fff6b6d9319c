import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/input-error.ts';
import { parseGenerationsSpec } from '../../lib/studies/specs/generations.ts';

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

  it('accepts replicate seeds (optional: absent, the spec has none) and rejects a repeated one', () => {
    const withoutSeeds = demo.replace(/^seeds:.*\n/m, '');
    expect(parseGenerationsSpec(withoutSeeds, 'x.yaml')).not.toHaveProperty('seeds');
    expect(parseGenerationsSpec(`${withoutSeeds}seeds: [4, 2]\n`, 'x.yaml').seeds).toEqual([4, 2]);
    expect(() => parseGenerationsSpec(`${withoutSeeds}seeds: [4, 2, 4]\n`, 'x.yaml')).toThrowError(
      /x\.yaml: invalid study spec:\n {2}seeds: lists 4 twice/,
    );
    expect(() => parseGenerationsSpec(`${withoutSeeds}seeds: []\n`, 'x.yaml')).toThrowError(
      / {2}seeds: Too small/,
    );
    expect(() => parseGenerationsSpec(`${withoutSeeds}seeds: [1.5]\n`, 'x.yaml')).toThrowError(
      / {2}seeds\.0: /,
    );
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

describe('generations study spec on diffusion models', () => {
  const ddpm = readFileSync(
    new URL('../../studies/generations-ddpm.yaml', import.meta.url),
    'utf8',
  );

  it('accepts generations-ddpm.yaml: a DDPM generator, the CNN embedding, three classes', () => {
    const spec = parseGenerationsSpec(ddpm, 'generations-ddpm.yaml');
    expect(spec.dataset.classes).toEqual([1, 7, 8]);
    expect(spec.evaluation.embedding).toMatchObject({ kind: 'classifier', trainSamples: 10000 });
    expect(spec.generator).toMatchObject({
      kind: 'ddpm',
      training: { steps: 1500, channels: [16, 32, 32], schedule: 'cosine' },
      sampling: { steps: 20, guidance: 2, eta: 0, timestepSpacing: 'trailing' },
    });
  });

  it('rejects GMM settings on a DDPM generator and a UNet with two widths, naming the paths', () => {
    expect(() =>
      parseGenerationsSpec(
        ddpm.replace('  kind: ddpm\n', '  kind: ddpm\n  latentDim: 8\n'),
        'x.yaml',
      ),
    ).toThrowError(/ {2}generator: Unrecognized key.*`latentDim`/);
    expect(() =>
      parseGenerationsSpec(ddpm.replace('channels: [16, 32, 32]', 'channels: [16, 32]'), 'y.yaml'),
    ).toThrowError(/generator\.training\.channels/);
  });
});
