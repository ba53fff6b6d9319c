import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  studyKindOf,
  studyKindOfWorkflowType,
  studyWorkflowTypes,
} from '../../cli/studies/index.ts';
import { InputError } from '../../lib/input-error.ts';
import { parseGenerationsSpec } from '../../lib/studies/specs/generations.ts';
import { parseStudySpec, STUDY_KIND_NAMES } from '../../lib/studies/specs/index.ts';
import * as workflows from '../../workflows/index.ts';

const example = (name: string) =>
  readFileSync(new URL(`../../studies/${name}`, import.meta.url), 'utf8');
const errorOf = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('study specs: the union discriminated by `study:`', () => {
  it('parses every example spec as its kind, as the kind’s own parser does', () => {
    for (const file of ['generations-gmm.yaml', 'generations-ddpm.yaml']) {
      const spec = parseStudySpec(example(file), file);
      expect(spec.study).toBe('generations');
      expect(spec).toEqual(parseGenerationsSpec(example(file), file));
    }
  });

  it('names the file and each field path, as the kind’s own parser does', () => {
    const demo = example('generations-gmm.yaml');
    for (const bad of [
      demo.replace('  subset: 1000', '  subset: 1000\n  shuffle: true'),
      demo.replace('alphas: [0.5, 1, 2]', 'alphas: [0.5, -1]'),
      demo.replace(/dataset:\n {2}name: fashion-mnist\n {2}subset: 1000\n/, ''),
      'study: [unclosed',
    ]) {
      const error = errorOf(() => parseStudySpec(bad, 'bad.yaml'));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(errorOf(() => parseGenerationsSpec(bad, 'bad.yaml')).message);
    }
    expect(
      errorOf(() =>
        parseStudySpec(demo.replace('alphas: [0.5, 1, 2]', 'alphas: [0.5, -1]'), 'neg.yaml'),
      ).message,
    ).toMatch(
      /^neg\.yaml: invalid study spec:\n {2}loop\.alphas\.1: Too small: expected number to be >0/,
    );
  });

  it('rejects an unknown or missing `study:`, naming the known kinds', () => {
    const demo = example('generations-gmm.yaml');
    const unknown = errorOf(() =>
      parseStudySpec(demo.replace('study: generations', 'study: contaminations'), 'c.yaml'),
    );
    expect(unknown).toBeInstanceOf(InputError);
    expect(unknown.message).toBe(
      'c.yaml: invalid study spec:\n  study: unknown study kind `contaminations` (known kinds: `generations`, `contamination`, `detection`, `replication`)',
    );
    expect(
      errorOf(() => parseStudySpec(demo.replace('study: generations\n', ''), 'm.yaml')).message,
    ).toBe(
      'm.yaml: invalid study spec:\n  study: missing (known kinds: `generations`, `contamination`, `detection`, `replication`)',
    );
    expect(STUDY_KIND_NAMES).toEqual(['generations', 'contamination', 'detection', 'replication']);
  });
});

describe('the CLI’s study kinds', () => {
  it('every spec kind has an entry whose workflow the workers register under its name', () => {
    for (const file of [
      'generations-gmm.yaml',
      'generations-ddpm.yaml',
      'contamination-gmm.yaml',
      'contamination-digits.yaml',
      'detection-gmm.yaml',
      'replication-ddpm.yaml',
    ]) {
      const kind = studyKindOf(parseStudySpec(example(file), file));
      const registered = (workflows as Record<string, unknown>)[kind.workflow.name];
      expect(registered).toBe(kind.workflow);
    }
    expect(studyWorkflowTypes()).toEqual([
      'generationsStudy',
      'contaminationStudy',
      'detectionStudy',
      'replicationStudy',
    ]);
    expect(studyKindOfWorkflowType('generationsStudy', 'w')).toBe(
      studyKindOf(parseStudySpec(example('generations-gmm.yaml'), 'x.yaml')),
    );
  });

  it('a workflow that is not a study run is refused, naming the study workflow types', () => {
    expect(() => studyKindOfWorkflowType('ingestDataset', 'ingest-1')).toThrowError(
      /^ingest-1 is not a study run \(its type is ingestDataset; study runs are generationsStudy, contaminationStudy, detectionStudy, replicationStudy\)$/,
    );
  });

  it('the generational study: its workflows (parent, then one loop per alpha) and their planned stages', () => {
    const spec = parseStudySpec(example('generations-gmm.yaml'), 'x.yaml');
    const kind = studyKindOf(spec);
    expect(kind.workflows(spec, 'study-x')).toEqual([
      { label: 'shared', workflowId: 'study-x', stages: 9 },
      { label: 'alpha=0.5', workflowId: 'study-x/alpha=0.5', stages: 24 },
      { label: 'alpha=1', workflowId: 'study-x/alpha=1', stages: 24 },
      { label: 'alpha=2', workflowId: 'study-x/alpha=2', stages: 24 },
    ]);
    expect(
      kind.input(spec, { force: ['embed'], cpuQueue: 'c', gpuQueue: 'g', store: 's3://b' }),
    ).toEqual({ spec, force: ['embed'], cpuQueue: 'c', gpuQueue: 'g', store: 's3://b' });
  });

  it('the generational study with replicate seeds: one loop per seed and alpha, V_1 fitted per seed in the parent', () => {
    const spec = parseStudySpec(
      example('generations-gmm.yaml').replace(/^seeds:.*\n/m, '') + 'seeds: [3, 1]\n',
      'x.yaml',
    );
    expect(studyKindOf(spec).workflows(spec, 'study-x')).toEqual([
      { label: 'shared', workflowId: 'study-x', stages: 10 },
      ...[3, 1].flatMap((seed) =>
        [0.5, 1, 2].map((alpha) => ({
          label: `seed=${seed}/alpha=${alpha}`,
          workflowId: `study-x/seed=${seed}/alpha=${alpha}`,
          stages: 24,
        })),
      ),
    ]);
  });
});
