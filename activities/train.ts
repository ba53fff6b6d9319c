import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClabConfig } from '../lib/config.ts';
import type { Sha256 } from '../lib/digest.ts';
import { Rng } from '../lib/rng.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { putJson } from '../lib/storage/json-artifacts.ts';
import type { TrainerEvent } from '../lib/trainer/trainer-events.ts';
import {
  cancellationSignal,
  failFastOnBadInput,
  previousHeartbeat,
  throwIfCancelled,
} from './activity-context.ts';
import { loadImageSet, type ImageSet } from './image-sets.ts';
import { asStage, FAILURE_BUDGET } from './as-stage.ts';
import { codeOf, type Fingerprinted } from './stages/stage-input.ts';
import { runTrainer, type TrainerName } from './trainer-process.ts';

export interface TrainDeps {
  store: ArtifactStore;
  trainer: ClabConfig['trainer'];
}

/** What the train activity heartbeats: where a retry resumes from. */
export interface TrainProgress {
  step: number;
  /** The training's total steps (from the trainer's progress events; what `clab run` shows). */
  steps?: number;
  loss?: number;
  /** The last checkpoint uploaded to the store, and its step. */
  checkpoint?: Sha256;
  checkpointStep?: number;
}

export interface TrainInput extends Fingerprinted {
  dataset: Sha256;
  trainer: TrainerName;
  /** Trainer settings (see trainers/<name>.py DEFAULTS); the seed comes from `seed` and `stream`. */
  config: Record<string, unknown>;
  seed: number;
  stream: string;
}

/**
 * Trains a deep network with a PyTorch trainer: stages the dataset as `images.u8` + `labels.u8`,
 * runs the trainer, uploads each checkpoint as it appears and heartbeats it, so that a retry (a
 * killed worker, a crash) resumes from the last uploaded checkpoint instead of step 0.
 */
export function createTrainActivities({ store, trainer }: TrainDeps) {
  return {
    train(input: TrainInput) {
      const previous = previousHeartbeat<TrainProgress>();
      let progress: TrainProgress = previous ?? { step: 0 };
      return failFastOnBadInput(() =>
        asStage(
          async () => {
            await mkdir(trainer.workDir, { recursive: true });
            const dir = await mkdtemp(join(trainer.workDir, `train-${input.trainer}-`));
            try {
              const set = await loadImageSet(store, input.dataset);
              const dataDir = join(dir, 'data');
              await stageImageSet(set, dataDir);
              let resume: string | undefined;
              if (previous?.checkpoint) {
                resume = join(dir, `resume-step-${previous.checkpointStep}.pt`);
                await writeFile(resume, await store.get(previous.checkpoint));
              }
              throwIfCancelled(); // staging a large set takes a while: no trainer for a cancelled stage
              const config = { ...input.config, seed: trainerSeed(input.seed, input.stream) };
              const log: TrainerEvent[] = [];
              const outDir = join(dir, 'out');
              const done = await runTrainer({
                python: trainer.python,
                trainer: input.trainer,
                dataDir,
                outDir,
                config,
                ...(resume ? { resume } : {}),
                signal: cancellationSignal(),
                onEvent: async (event) => {
                  log.push(event);
                  if (event.event === 'progress') {
                    progress = {
                      ...progress,
                      step: event.step,
                      steps: event.steps,
                      loss: event.loss,
                    };
                  } else if (event.event === 'checkpoint') {
                    const ref = await store.put(await readFile(event.path));
                    progress = { ...progress, checkpoint: ref.digest, checkpointStep: event.step };
                  }
                },
              });
              const onnx = await store.put(await readFile(join(outDir, done.files.onnx)));
              const card = JSON.parse(await readFile(join(outDir, done.files.card), 'utf8')) as {
                steps: number;
                finalLoss: number | null;
                validationAccuracy?: number | null;
              };
              const model = await putJson(store, {
                ...card,
                onnx: onnx.digest,
                trainedOn: input.dataset,
                checkpoint: progress.checkpoint,
                codeVersion: codeOf(input),
              });
              const started = log.find((e) => e.event === 'start');
              const logRef = await store.put(
                Buffer.from(log.map((e) => JSON.stringify(e)).join('\n') + '\n'),
              );
              return {
                outputs: {
                  model: model.digest,
                  onnx: onnx.digest,
                  ...(progress.checkpoint ? { checkpoint: progress.checkpoint } : {}),
                },
                facts: {
                  trainedOn: set.count,
                  steps: card.steps,
                  ...(typeof card.finalLoss === 'number' ? { finalLoss: card.finalLoss } : {}),
                  ...(typeof card.validationAccuracy === 'number'
                    ? { validationAccuracy: card.validationAccuracy }
                    : {}),
                  startStep: started?.event === 'start' ? started.step : 0,
                  trainerLog: logRef.digest,
                },
              };
            } finally {
              await rm(dir, { recursive: true, force: true });
            }
          },
          { heartbeatDetails: () => progress, failureBudget: FAILURE_BUDGET },
        ),
      );
    },
  };
}

/** The trainer's integer seed: the first draw of the stage's named stream. */
function trainerSeed(seed: number, stream: string): number {
  return Math.floor(Rng.stream(seed, stream).uniform() * 2 ** 31);
}

/** images.u8 (count x height x width x channels), labels.u8 and meta.json: the contract's data dir. */
async function stageImageSet(set: ImageSet, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'images.u8'), set.pixels);
  await writeFile(join(dir, 'labels.u8'), set.labels);
  const { count, width, height, channels, classes, name } = set;
  await writeFile(
    join(dir, 'meta.json'),
    JSON.stringify({ name, count, width, height, channels, classes }),
  );
}
