import { executeChild, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Sha256 } from '../../lib/digest.ts';
import type {
  ContaminationResult,
  ContaminationRow,
  ControlInfo,
  DiversityRow,
  HardSubsetInfo,
  MixGeneratorMetrics,
  MixKind,
} from '../../lib/studies/contamination-result.ts';
import type { ContaminationSpec, ControlSpec } from '../../lib/studies/specs/contamination.ts';
import type { StageOutput } from '../../lib/studies/stage.ts';
import {
  featuresAndMetrics,
  metricFacts,
  realReference,
  type RealReference,
} from '../blocks/evaluation.ts';
import { sampleGrid } from '../blocks/grids.ts';
import { fashionMnistSplit, ingestSource, type SourceToIngest } from '../blocks/ingest.ts';
import { fitMetricEmbedding, type MetricEmbedding } from '../blocks/metric-embedding.ts';
import { progressOf, studyProgress } from '../blocks/progress.ts';
import { realSubset } from '../blocks/real-subsets.ts';
import { openStudy, type StudyInput } from '../blocks/study.ts';
import { StageRunner } from '../stage-runner.ts';
import { storeTablePiece, type TableRef } from '../table-pieces.ts';

export type ContaminationInput = StudyInput<ContaminationSpec>;
export type {
  ContaminationResult,
  ContaminationRow,
} from '../../lib/studies/contamination-result.ts';

/** A source of non-R images in the mixes: S, or a control, by its name in tables. */
interface NamedSource {
  name: string;
  dataset: Sha256;
}

/** Generator metrics settings a seed's child needs for T3 (absent: no generator per mix). */
interface PerMixMetrics {
  embedding: MetricEmbedding;
  reference: RealReference;
  samples: number;
  k: number;
}

/** What a seed's child needs from the shared stages. */
export interface ContaminationSeedInput {
  spec: ContaminationSpec;
  seed: number;
  real: Sha256;
  /** S first, then every control, in the spec's order. */
  sources: NamedSource[];
  /** The sources of the T7 / T8 size controls (names among `sources`). */
  sizeSources: string[];
  /** The classifier's training steps, the same for every training set: those of R. */
  steps: number;
  test: Sha256;
  /** Shifted test sets (and the hard subset), in order, with their labels. */
  shiftedTests: { label: string; dataset: Sha256 }[];
  perMix?: PerMixMetrics;
  force: string[];
  forcedDigests: Sha256[];
  cpuQueue: string;
  gpuQueue: string;
  attemptTimeouts?: Record<string, string>;
}

/**
 * The contamination study (Hataya et al., ICCV 2023). Shared stages: ingest, one class-balanced
 * real pool split into disjoint parts (R, the generator pool P, the disjoint controls, the digits'
 * test set, the hard subset's reference pools), the controls, the generator fitted on P and S
 * sampled from it, the test set with its shifted copies and hard subset, the diversity metrics and
 * sample grids; then one child per replicate seed that mixes, trains and measures.
 */
export async function contaminationStudy(input: ContaminationInput): Promise<ContaminationResult> {
  const { spec } = input;
  const { runner, cpuQueue, gpuQueue } = openStudy(input);
  const { seed } = spec;
  const where = { cpuQueue, ...(input.store ? { store: input.store } : {}) };
  const digits = spec.dataset.name === 'digits';
  const train = (
    await ingestSource(runner, digits ? OPENCV_DIGITS : fashionMnistSplit('train'), where)
  ).dataset;

  // One class-balanced pool, split part by part, so that no image is in two parts.
  const { perClass, generatorPoolPerClass } = spec.dataset;
  const hard = spec.evaluation.hardSubset;
  const parts: { name: string; perClass: number }[] = [
    { name: 'R', perClass },
    { name: 'P', perClass: generatorPoolPerClass },
    ...spec.controls.flatMap((c) =>
      c.kind === 'disjoint' ? [{ name: c.name, perClass: c.perClass ?? perClass }] : [],
    ),
    ...(digits ? [{ name: 'test', perClass: spec.dataset.testPerClass! }] : []),
    ...Array.from({ length: hard?.references ?? 0 }, (_, i) => ({
      name: `reference-${i + 1}`,
      perClass: hard!.perClass,
    })),
  ];
  const pool = await realSubset(
    runner,
    `real pool (${parts.map((p) => p.name).join(' + ')})`,
    {
      count: classCount(spec) * sum(parts.map((p) => p.perClass)),
      name: 'pool',
      seed,
      stream: 'real-pool',
      ...classesOf(spec),
    },
    train,
  );
  const split: Record<string, Sha256> = {};
  let rest = pool.outputs.dataset!;
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1) {
      split[part.name] = rest;
      break;
    }
    const restName = parts
      .slice(i + 1)
      .map((p) => p.name)
      .join('+');
    const out = await runner.stage(
      `split ${part.name}`,
      'cpu',
      'splitSubset',
      { perClass: part.perClass, name: part.name, restName, seed, stream: `split/${part.name}` },
      { dataset: rest },
    );
    split[part.name] = out.outputs.dataset!;
    rest = out.outputs.rest!;
  }
  const real = split.R!;
  const generatorPool = split.P!;

  // The controls: disjoint pools (transformed or not) and other real sources.
  const controls: ControlInfo[] = [];
  for (const control of spec.controls)
    controls.push(await buildControl(runner, spec, control, split, where));

  // S: the generator fitted on P, sampled with R's class balance, ratio |R| images.
  const { temperature, ratio, ...generatorOptions } = spec.generator;
  const model = await runner.stage(
    'fit G on P',
    'cpu',
    'fitGenerator',
    { generator: generatorOptions, seed, stream: 'generator/fit' },
    { dataset: generatorPool },
  );
  const sample = (label: string, t: number, name: string) =>
    runner.stage(
      label,
      'cpu',
      'sampleImages',
      { alpha: ratio, temperature: t, name, seed, stream: 'generator/sample' },
      { model: model.outputs.model!, reference: real },
    );
  const synthetic = (await sample('sample S', temperature, 'S')).outputs.dataset!;

  const test = digits ? split.test! : await fashionTestSet(runner, spec, where);
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
  const steps = classifierSteps(spec);
  let hardSubset: HardSubsetInfo | undefined;
  if (hard) {
    hardSubset = await hardTestSubset(
      runner,
      spec,
      steps,
      test,
      (i) => split[`reference-${i + 1}`]!,
    );
    shiftedTests.push({ label: 'hard', dataset: hardSubset.dataset });
  }

  // T4/T5: R and S at each temperature against the test set; the embedding T3 uses too.
  const diversity: DiversityRow[] = [];
  let perMix: PerMixMetrics | undefined;
  const metrics = spec.generatorMetrics;
  if (metrics) {
    const embedding = await fitMetricEmbedding(
      runner,
      { embedding: metrics.embedding, seed, datasetName: spec.dataset.name },
      real,
    );
    const evaluation = { samples: metrics.samples, k: metrics.k, seed };
    const reference = await realReference(runner, embedding, evaluation, test);
    const measure = async (set: string, t: number | null, dataset: Sha256) => {
      const out = await featuresAndMetrics(runner, set, embedding, evaluation, {
        stream: `diversity/${set}`,
        dataset,
        reference,
      });
      const m = metricFacts(out);
      diversity.push({
        set,
        temperature: t,
        fid: m.fid,
        precision: m.precision,
        recall: m.recall,
        embedding: embedding.id,
        dataset,
        report: out.outputs.metrics!,
      });
    };
    await measure('R-train', null, real);
    for (const t of metrics.temperatures) {
      const dataset =
        t === temperature
          ? synthetic
          : (await sample(`sample S@${t}`, t, `S@${t}`)).outputs.dataset!;
      await measure(`S@${t}`, t, dataset);
    }
    if (metrics.perMix) perMix = { embedding, reference, samples: metrics.samples, k: metrics.k };
  }

  const grids: Record<string, Sha256> = {};
  const gridOf = async (label: string, dataset: Sha256) => {
    grids[label] = await sampleGrid(
      runner,
      `grid ${label}`,
      { perClass: spec.grids.perClass, seed, stream: `grid/${label}` },
      dataset,
    );
  };
  await gridOf('R', real);
  await gridOf('S', synthetic);
  for (const c of controls) await gridOf(c.name, c.dataset);
  await gridOf('test', test);
  for (const shifted of shiftedTests) await gridOf(`test ${shifted.label}`, shifted.dataset);

  const sources: NamedSource[] = [
    { name: 'S', dataset: synthetic },
    ...controls.map((c) => ({ name: c.name, dataset: c.dataset })),
  ];
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
            sources,
            sizeSources: spec.mixes.sizeControlSources ?? ['S', spec.controls[0]!.name],
            steps,
            test,
            shiftedTests,
            ...(perMix ? { perMix } : {}),
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
    datasets: { real, pool: generatorPool, synthetic, test },
    controls,
    generator: model.outputs.model!,
    temperature,
    shiftedTests: Object.fromEntries(shiftedTests.map((s) => [s.label, s.dataset])),
    ...(hardSubset ? { hardSubset } : {}),
    diversity,
    ...(perMix ? { metricEmbedding: perMix.embedding.id } : {}),
    grids,
    ...table,
  };
}

/**
 * One replicate seed: for each fraction r and source O (S and every control), the mix R/O-r%
 * (r = 0: R itself, once); the T7 / T8 size controls; the same classifier trained on each for the
 * same steps, its accuracy on the test set and each shifted copy; and with `perMix`, a generator
 * fitted on each replace mix (T3). The mixes of one seed and source draw from one stream, so they
 * nest across r, and R/S-r% and R/C-r% replace the same real images.
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
  const measureRows = async (
    at: string,
    kind: MixKind,
    sources: string[],
    fraction: number,
    mix: { dataset: Sha256; fromReal: number; fromOther: number },
    withGenerator: boolean,
  ) => {
    const measured = await trainAndMeasure(runner, input, at, mix.dataset);
    const generator =
      withGenerator && input.perMix
        ? await generatorOnMix(runner, input, at, mix.dataset, input.perMix)
        : undefined;
    for (const source of sources)
      rows.push(row(seed, kind, source, fraction, mix, measured, generator));
  };
  const mixStage = (
    at: string,
    stage: 'replaceMix' | 'fillMix' | 'appendMix',
    source: NamedSource,
    fraction: number,
    name: string,
  ) =>
    runner.stage(
      `${at} mix`,
      'cpu',
      stage,
      { fraction, name, seed, stream: `seed=${seed}/${stage}-${source.name}` },
      { real: input.real, other: source.dataset },
    );
  const composition = (mix: StageOutput) => ({
    dataset: mix.outputs.dataset!,
    fromReal: Number(mix.facts.fromReal),
    fromOther: Number(mix.facts.fromOther),
  });
  const percent = (p: number) => `${Math.round(p * 100)}%`;

  // T1: R/O-r% for every source O.
  for (const fraction of spec.mixes.fractions) {
    if (fraction === 0) {
      // R/O-0% is R for every O: train and measure once, report it for each source.
      const count = classCount(spec) * spec.dataset.perClass;
      await measureRows(
        `seed=${seed}/R`,
        'replace',
        input.sources.map((s) => s.name),
        0,
        { dataset: input.real, fromReal: count, fromOther: 0 },
        true,
      );
      continue;
    }
    for (const source of input.sources) {
      const at = `seed=${seed}/R-${source.name}-${fraction}`;
      const mix = await mixStage(
        at,
        'replaceMix',
        source,
        fraction,
        `R/${source.name}-${percent(fraction)}`,
      );
      await measureRows(at, 'replace', [source.name], fraction, composition(mix), true);
    }
  }

  // T7: a p% subsample of R alone (the same real images for every source), and filled up.
  const sizeSources = input.sources.filter((s) => input.sizeSources.includes(s.name));
  for (const fraction of spec.mixes.subsample) {
    let alone = false;
    for (const source of sizeSources) {
      const at = `seed=${seed}/R${percent(fraction)}+${source.name}`;
      const mix = await mixStage(
        at,
        'fillMix',
        source,
        fraction,
        `R${percent(fraction)}+${source.name}`,
      );
      if (!alone) {
        const kept = Number(mix.facts.fromReal);
        await measureRows(
          `seed=${seed}/R${percent(fraction)}`,
          'subsample',
          ['R'],
          fraction,
          { dataset: mix.outputs.subset!, fromReal: kept, fromOther: 0 },
          false,
        );
        alone = true;
      }
      await measureRows(at, 'fill', [source.name], fraction, composition(mix), false);
    }
  }

  // T8: all of R plus +p% of each source.
  for (const fraction of spec.mixes.append)
    for (const source of sizeSources) {
      const at = `seed=${seed}/R+${source.name}${percent(fraction)}`;
      const mix = await mixStage(
        at,
        'appendMix',
        source,
        fraction,
        `R+${source.name}${percent(fraction)}`,
      );
      await measureRows(at, 'append', [source.name], fraction, composition(mix), false);
    }
  return storeTablePiece(runner, rows);
}

interface Measured {
  trained: StageOutput;
  clean: StageOutput;
  shifted: { label: string; output: StageOutput }[];
}

/**
 * The downstream classifier trained on one training set for the study's fixed steps (its stream
 * names only the seed: every set of a seed starts from the same initialisation), then classified
 * on each test set.
 */
async function trainAndMeasure(
  runner: StageRunner,
  input: ContaminationSeedInput,
  at: string,
  dataset: Sha256,
): Promise<Measured> {
  const trained = await trainClassifier(
    runner,
    `${at} classifier`,
    { ...input.spec.classifier, steps: input.steps },
    { seed: input.seed, stream: `seed=${input.seed}/classifier` },
    dataset,
  );
  const model = trained.outputs.model!;
  const clean = await classify(runner, `${at} test`, model, input.test);
  const shifted: Measured['shifted'] = [];
  for (const test of input.shiftedTests)
    shifted.push({
      label: test.label,
      output: await classify(runner, `${at} test ${test.label}`, model, test.dataset),
    });
  return { trained, clean, shifted };
}

/** T3: a generator fitted on a training set, sampled, and measured against the test set. */
async function generatorOnMix(
  runner: StageRunner,
  input: ContaminationSeedInput,
  at: string,
  dataset: Sha256,
  perMix: PerMixMetrics,
): Promise<MixGeneratorMetrics> {
  const { temperature, ratio: _ratio, ...generatorOptions } = input.spec.generator;
  const { seed } = input;
  const fitted = await runner.stage(
    `${at} generator`,
    'cpu',
    'fitGenerator',
    { generator: generatorOptions, seed, stream: `seed=${seed}/generator/fit` },
    { dataset },
  );
  const sampled = await runner.stage(
    `${at} generator samples`,
    'cpu',
    'sampleImages',
    { alpha: 1, temperature, name: 'G(mix)', seed, stream: `seed=${seed}/generator/sample` },
    { model: fitted.outputs.model!, reference: dataset },
  );
  const measured = await featuresAndMetrics(
    runner,
    `${at} generator`,
    perMix.embedding,
    { samples: perMix.samples, k: perMix.k, seed },
    {
      stream: `seed=${seed}/generator`,
      dataset: sampled.outputs.dataset!,
      reference: perMix.reference,
    },
  );
  const m = metricFacts(measured);
  return {
    fid: m.fid,
    precision: m.precision,
    recall: m.recall,
    embedding: perMix.embedding.id,
    model: fitted.outputs.model!,
    report: measured.outputs.metrics!,
  };
}

function row(
  seed: number,
  kind: MixKind,
  source: string,
  fraction: number,
  mix: { dataset: Sha256; fromReal: number; fromOther: number },
  { trained, clean, shifted }: Measured,
  generator: MixGeneratorMetrics | undefined,
): ContaminationRow {
  return {
    seed,
    kind,
    source,
    fraction,
    fromReal: mix.fromReal,
    fromOther: mix.fromOther,
    mix: mix.dataset,
    accuracy: Number(clean.facts.accuracy),
    shifted: Object.fromEntries(shifted.map((s) => [s.label, Number(s.output.facts.accuracy)])),
    perClassAccuracy: perClassAccuracy(clean),
    model: trained.outputs.model!,
    report: clean.outputs.report!,
    shiftedReports: Object.fromEntries(shifted.map((s) => [s.label, s.output.outputs.report!])),
    steps: Number(trained.facts.steps),
    ...(generator ? { generator } : {}),
  };
}

/** Correct / count per class from a classify stage's facts (null for a class with no images). */
function perClassAccuracy(classified: StageOutput): (number | null)[] {
  const correct = (classified.facts.perClassCorrect ?? []) as number[];
  const count = (classified.facts.perClassCount ?? []) as number[];
  return count.map((n, c) => (n > 0 ? correct[c]! / n : null));
}

function trainClassifier(
  runner: StageRunner,
  label: string,
  config: ContaminationSpec['classifier'] & { steps: number },
  random: { seed: number; stream: string },
  dataset: Sha256,
): Promise<StageOutput> {
  return runner.stage(
    label,
    'gpu',
    'train',
    { trainer: 'classifier', config, ...random },
    { dataset },
  );
}

function classify(runner: StageRunner, label: string, model: Sha256, dataset: Sha256) {
  return runner.stage(label, 'gpu', 'classify', {}, { model, dataset });
}

/**
 * T6's hard subset: reference classifiers, each trained on its own disjoint real pool, classify
 * the test set; the test images more than half of them get wrong form the subset.
 */
async function hardTestSubset(
  runner: StageRunner,
  spec: ContaminationSpec,
  steps: number,
  test: Sha256,
  pool: (i: number) => Sha256,
): Promise<HardSubsetInfo> {
  const references: Sha256[] = [];
  const reports: Record<string, Sha256> = {};
  for (let i = 0; i < spec.evaluation.hardSubset!.references; i++) {
    const trained = await trainClassifier(
      runner,
      `reference classifier ${i + 1}`,
      { ...spec.classifier, steps },
      { seed: spec.seed, stream: `reference-${i + 1}` },
      pool(i),
    );
    references.push(trained.outputs.model!);
    const classified = await classify(
      runner,
      `reference ${i + 1} test`,
      trained.outputs.model!,
      test,
    );
    reports[`report${i}`] = classified.outputs.report!;
  }
  const hard = await runner.stage(
    'hard test subset',
    'cpu',
    'hardSubset',
    { name: 'hard' },
    {
      dataset: test,
      ...reports,
    },
  );
  return {
    dataset: hard.outputs.dataset!,
    count: Number(hard.facts.count),
    references,
    reports: Object.values(reports),
  };
}

/** A control's dataset: a disjoint pool (web-like transformed if asked), or another source. */
async function buildControl(
  runner: StageRunner,
  spec: ContaminationSpec,
  control: ControlSpec,
  split: Record<string, Sha256>,
  where: { cpuQueue: string; store?: string },
): Promise<ControlInfo> {
  if (control.kind === 'source') {
    const ingested = await ingestSource(runner, SKLEARN_DIGITS, where);
    return {
      name: control.name,
      description: `scikit-learn's 8x8 digits (1,797 images), resized to 20x20 by sharp's cubic kernel`,
      dataset: ingested.dataset,
    };
  }
  const pool = split[control.name]!;
  if (!control.transform)
    return {
      name: control.name,
      description: `a clean real pool of ${spec.dataset.name}, disjoint from R and P (the null control)`,
      dataset: pool,
    };
  const transformed = await runner.stage(
    `${control.name} ${control.transform}`,
    'cpu',
    'transformImages',
    {
      transform: control.transform,
      name: control.name,
      seed: spec.seed,
      stream: `control/${control.name}`,
    },
    { dataset: pool },
  );
  return {
    name: control.name,
    description: `a real pool of ${spec.dataset.name} disjoint from R and P, recropped, rotated and contrast-jittered per image (web-like)`,
    dataset: transformed.outputs.dataset!,
  };
}

/** Fashion-MNIST's test set: the test split, or a seeded subset of it. */
async function fashionTestSet(
  runner: StageRunner,
  spec: ContaminationSpec,
  where: { cpuQueue: string; store?: string },
): Promise<Sha256> {
  const testSplit = (await ingestSource(runner, fashionMnistSplit('test'), where)).dataset;
  if (!spec.dataset.testSubset) return testSplit;
  const subset = await realSubset(
    runner,
    'test set',
    {
      count: spec.dataset.testSubset,
      name: 'test',
      seed: spec.seed,
      stream: 'test-subset',
      ...classesOf(spec),
    },
    testSplit,
  );
  return subset.outputs.dataset!;
}

/**
 * The classifier's training steps for every training set: epochs over R's training part (R minus
 * its validation share, trainers/classifier.py), whole batches only.
 */
function classifierSteps(spec: ContaminationSpec): number {
  const { epochs, batchSize, validationFraction } = spec.classifier;
  const size = classCount(spec) * spec.dataset.perClass;
  const trainCount = size - Math.round(validationFraction * size);
  return epochs * Math.floor(trainCount / Math.min(batchSize, trainCount));
}

const OPENCV_DIGITS: SourceToIngest = {
  source: { kind: 'opencv-digits' },
  label: 'ingest opencv-digits',
  child: 'ingest-opencv-digits',
};

const SKLEARN_DIGITS: SourceToIngest = {
  source: { kind: 'sklearn-digits', resize: { width: 20, height: 20 } },
  label: 'ingest sklearn-digits 20x20',
  child: 'ingest-sklearn-digits',
};

// The class counts of the datasets a spec can name (lib/studies/specs/contamination.ts holds the
// same table; workflow code does not import the schema module).
const CLASS_COUNT: Record<ContaminationSpec['dataset']['name'], number> = {
  'fashion-mnist': 10,
  digits: 10,
};

function classCount(spec: ContaminationSpec): number {
  return spec.dataset.classes?.length ?? CLASS_COUNT[spec.dataset.name];
}

function classesOf(spec: ContaminationSpec): { classes?: number[] } {
  return spec.dataset.classes ? { classes: spec.dataset.classes } : {};
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
