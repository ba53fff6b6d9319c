import { executeChild, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Sha256 } from '../../lib/digest.ts';
import type { ContaminationSpec } from '../../lib/studies/specs/contamination.ts';
import type { StageOutput } from '../../lib/studies/stage.ts';
import { fashionMnistSplit, ingestSource } from '../blocks/ingest.ts';
import { progressOf, studyProgress } from '../blocks/progress.ts';
import { realSubset } from '../blocks/real-subsets.ts';
import { openStudy, type StudyInput, type StudyResult } from '../blocks/study.ts';
import { StageRunner } from '../stage-runner.ts';
import { storeTablePiece, type TableRef } from '../table-pieces.ts';

export type ContaminationInput = StudyInput<ContaminationSpec>;

/** Where a mix's replacement images come from: generated S, or the real control C. */
export type MixSource = 'S' | 'C';

/** One row of the study's table: the classifier trained on one mix of one seed. */
export interface ContaminationRow {
  seed: number;
  source: MixSource;
  /** r: the fraction of R replaced (0: R itself, the same model for both sources). */
  fraction: number;
  /** Images of the mix from R and from S (or C). */
  fromReal: number;
  fromOther: number;
  /** Accuracy on the real test split (or its subset). */
  accuracy: number;
  /** Accuracy on each shifted test set, by shift label (e.g. `blur-3`). */
  shifted: Record<string, number>;
  /** Per-class accuracy on the real test split (null: no test image of the class). */
  perClassAccuracy: (number | null)[];
  /** The mix's manifest, the classifier's model card, and the real test split's report. */
  mix: Sha256;
  model: Sha256;
  report: Sha256;
  /** The reports of the shifted test sets, by shift label. */
  shiftedReports: Record<string, Sha256>;
  /** The classifier's training steps (the same for every mix of a study). */
  steps: number;
}

export interface ContaminationResult extends StudyResult {
  study: 'contamination';
  /** The shared datasets: R, the generator pool P, the control pool C, S and the test set. */
  datasets: { real: Sha256; pool: Sha256; control: Sha256; synthetic: Sha256; test: Sha256 };
  /** The generator fitted on P, and the temperature S was sampled at. */
  generator: Sha256;
  temperature: number;
  /** The shifted test sets, by shift label. */
  shiftedTests: Record<string, Sha256>;
}

/** What a seed's child needs from the shared stages. */
export interface ContaminationSeedInput {
  spec: ContaminationSpec;
  seed: number;
  real: Sha256;
  synthetic: Sha256;
  control: Sha256;
  test: Sha256;
  /** Shifted test sets, in the spec's order, with their labels. */
  shiftedTests: { label: string; dataset: Sha256 }[];
  force: string[];
  forcedDigests: Sha256[];
  cpuQueue: string;
  gpuQueue: string;
  attemptTimeouts?: Record<string, string>;
}

/**
 * The contamination study (Hataya et al., ICCV 2023). Shared stages: ingest, one class-balanced
 * real pool split into R, the generator pool P and the control C (disjoint), the generator fitted
 * on P and S sampled from it, the test set and its shifted copies; then one child per replicate
 * seed that mixes, trains and measures.
 */
export async function contaminationStudy(input: ContaminationInput): Promise<ContaminationResult> {
  const { spec } = input;
  const { runner, cpuQueue, gpuQueue } = openStudy(input);
  const { seed } = spec;
  const where = { cpuQueue, ...(input.store ? { store: input.store } : {}) };
  const train = (await ingestSource(runner, fashionMnistSplit('train'), where)).dataset;
  const testSplit = (await ingestSource(runner, fashionMnistSplit('test'), where)).dataset;

  // R, P and C: one class-balanced pool, split twice, so that no image is in two of them.
  const { perClass, generatorPoolPerClass } = spec.dataset;
  const controlPerClass = spec.dataset.controlPerClass ?? perClass;
  const classCount = spec.dataset.classes?.length ?? CLASS_COUNT[spec.dataset.name];
  const pool = await realSubset(
    runner,
    'real pool (R + P + C)',
    {
      count: classCount * (perClass + generatorPoolPerClass + controlPerClass),
      name: 'R+P+C',
      seed,
      stream: 'real-pool',
      ...classesOf(spec),
    },
    train,
  );
  const r = await splitSubset(runner, 'R', { perClass, name: 'R', restName: 'P+C' }, seed, {
    dataset: pool.outputs.dataset!,
  });
  const p = await splitSubset(
    runner,
    'P and C',
    { perClass: generatorPoolPerClass, name: 'P', restName: 'C' },
    seed,
    { dataset: r.outputs.rest! },
  );
  const real = r.outputs.dataset!;
  const generatorPool = p.outputs.dataset!;
  const control = p.outputs.rest!;

  // S: the generator fitted on P, sampled with R's class balance, ratio |R| images.
  const { temperature, ratio, ...generatorOptions } = spec.generator;
  const model = await runner.stage(
    'fit G on P',
    'gpu',
    'fitGenerator',
    { generator: generatorOptions, seed, stream: 'generator/fit' },
    { dataset: generatorPool },
  );
  const sampled = await runner.stage(
    'sample S',
    'gpu',
    'sampleImages',
    { alpha: ratio, temperature, name: 'S', seed, stream: 'generator/sample' },
    { model: model.outputs.model!, reference: real },
  );
  const synthetic = sampled.outputs.dataset!;

  // The schema requires testSubset when the spec names classes: the test set holds only those.
  const test = spec.dataset.testSubset
    ? (
        await realSubset(
          runner,
          'test set',
          {
            count: spec.dataset.testSubset,
            name: 'test',
            seed,
            stream: 'test-subset',
            ...classesOf(spec),
          },
          testSplit,
        )
      ).outputs.dataset!
    : testSplit;
  const shiftedTests: { label: string; dataset: Sha256 }[] = [];
  for (const shift of spec.evaluation.shifts) {
    const label = `${shift.shift}-${shift.severity}`;
    const shifted = await runner.stage(
      `test ${label}`,
      'cpu',
      'shiftTestSet',
      { shift: shift.shift, severity: shift.severity, seed, stream: `shift/${label}` },
      { dataset: test },
    );
    shiftedTests.push({ label, dataset: shifted.outputs.dataset! });
  }

  const seeds = await Promise.all(
    spec.seeds.map((replicate) =>
      executeChild(contaminationSeed, {
        workflowId: `${workflowInfo().workflowId}/seed=${replicate}`,
        taskQueue: cpuQueue,
        args: [
          {
            spec,
            seed: replicate,
            real,
            synthetic,
            control,
            test,
            shiftedTests,
            force: input.force ?? [],
            forcedDigests: runner.forcedDigests,
            cpuQueue,
            gpuQueue,
            ...(input.attemptTimeouts ? { attemptTimeouts: input.attemptTimeouts } : {}),
          },
        ],
      }),
    ),
  );

  const table = await storeTablePiece(runner, [], { parts: seeds });
  return {
    study: 'contamination',
    name: spec.name,
    datasets: { real, pool: generatorPool, control, synthetic, test },
    generator: model.outputs.model!,
    temperature,
    shiftedTests: Object.fromEntries(shiftedTests.map((s) => [s.label, s.dataset])),
    ...table,
  };
}

/**
 * One replicate seed: for each fraction r, the mixes R/S-r% and R/C-r% (r = 0: R itself, once),
 * the same classifier trained on each, and its accuracy on the test set and each shifted copy.
 * The mixes of one seed and source draw from one stream, so they nest across r.
 */
export async function contaminationSeed(input: ContaminationSeedInput): Promise<TableRef> {
  const { spec, seed } = input;
  const runner = new StageRunner({
    cpuQueue: input.cpuQueue,
    gpuQueue: input.gpuQueue,
    force: input.force,
    forcedDigests: input.forcedDigests,
    ...(input.attemptTimeouts ? { attemptTimeouts: input.attemptTimeouts } : {}),
  });
  setHandler(studyProgress, () => progressOf(runner));
  const rows: ContaminationRow[] = [];
  const others = { S: input.synthetic, C: input.control } as const;
  for (const fraction of spec.mixes.fractions) {
    const sources: MixSource[] = ['S', 'C'];
    if (fraction === 0) {
      // R/S-0% and R/C-0% are both R: train and measure once, report it for both sources.
      const measured = await trainAndMeasure(runner, input, `seed=${seed}/R`, input.real);
      const count = Number(measured.trained.facts.trainedOn);
      for (const source of sources)
        rows.push(
          row(seed, source, 0, { fromReal: count, fromOther: 0, mix: input.real }, measured),
        );
      continue;
    }
    for (const source of sources) {
      const at = `seed=${seed}/R-${source}-${fraction}`;
      const mix = await runner.stage(
        `${at} mix`,
        'cpu',
        'replaceMix',
        {
          fraction,
          name: `R/${source}-${Math.round(fraction * 100)}%`,
          seed,
          stream: `seed=${seed}/mix-${source}`,
        },
        { real: input.real, other: others[source] },
      );
      const measured = await trainAndMeasure(runner, input, at, mix.outputs.dataset!);
      rows.push(
        row(
          seed,
          source,
          fraction,
          {
            fromReal: Number(mix.facts.fromReal),
            fromOther: Number(mix.facts.fromOther),
            mix: mix.outputs.dataset!,
          },
          measured,
        ),
      );
    }
  }
  return storeTablePiece(runner, rows);
}

interface Measured {
  trained: StageOutput;
  clean: StageOutput;
  shifted: { label: string; output: StageOutput }[];
}

/**
 * The downstream classifier trained on one training set (its stream names only the seed: every
 * mix of a seed starts from the same initialisation), then classified on each test set.
 */
async function trainAndMeasure(
  runner: StageRunner,
  input: ContaminationSeedInput,
  at: string,
  dataset: Sha256,
): Promise<Measured> {
  const trained = await runner.stage(
    `${at} classifier`,
    'gpu',
    'train',
    {
      trainer: 'classifier',
      config: input.spec.classifier,
      seed: input.seed,
      stream: `seed=${input.seed}/classifier`,
    },
    { dataset },
  );
  const model = trained.outputs.model!;
  const clean = await runner.stage(
    `${at} test`,
    'gpu',
    'classify',
    {},
    {
      model,
      dataset: input.test,
    },
  );
  const shifted: Measured['shifted'] = [];
  for (const test of input.shiftedTests)
    shifted.push({
      label: test.label,
      output: await runner.stage(
        `${at} test ${test.label}`,
        'gpu',
        'classify',
        {},
        {
          model,
          dataset: test.dataset,
        },
      ),
    });
  return { trained, clean, shifted };
}

function row(
  seed: number,
  source: MixSource,
  fraction: number,
  mix: { fromReal: number; fromOther: number; mix: Sha256 },
  { trained, clean, shifted }: Measured,
): ContaminationRow {
  return {
    seed,
    source,
    fraction,
    ...mix,
    accuracy: Number(clean.facts.accuracy),
    shifted: Object.fromEntries(shifted.map((s) => [s.label, Number(s.output.facts.accuracy)])),
    perClassAccuracy: perClassAccuracy(clean),
    model: trained.outputs.model!,
    report: clean.outputs.report!,
    shiftedReports: Object.fromEntries(shifted.map((s) => [s.label, s.output.outputs.report!])),
    steps: Number(trained.facts.steps),
  };
}

/** Correct / count per class from a classify stage's facts (null for a class with no images). */
function perClassAccuracy(classified: StageOutput): (number | null)[] {
  const correct = (classified.facts.perClassCorrect ?? []) as number[];
  const count = (classified.facts.perClassCount ?? []) as number[];
  return count.map((n, c) => (n > 0 ? correct[c]! / n : null));
}

/** A class-balanced split of a dataset into `perClass` images of each class and the rest. */
function splitSubset(
  runner: StageRunner,
  label: string,
  params: { perClass: number; name: string; restName: string },
  seed: number,
  inputs: { dataset: Sha256 },
): Promise<StageOutput> {
  return runner.stage(
    label,
    'cpu',
    'splitSubset',
    { ...params, seed, stream: `split/${params.name}` },
    inputs,
  );
}

// The class counts of the datasets a spec can name (lib/studies/specs/contamination.ts holds the
// same table; workflow code does not import the schema module).
const CLASS_COUNT: Record<ContaminationSpec['dataset']['name'], number> = { 'fashion-mnist': 10 };

function classesOf(spec: ContaminationSpec): { classes?: number[] } {
  return spec.dataset.classes ? { classes: spec.dataset.classes } : {};
}
