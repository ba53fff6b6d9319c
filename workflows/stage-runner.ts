import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { Sha256 } from '../lib/digest.ts';
import type { StageCall, StageEntry, StageOutput } from '../lib/studies/stage.ts';

export interface StageRunnerOptions {
  cpuQueue: string;
  gpuQueue: string;
  /** Stage names to recompute even when cached; their descendants recompute too. */
  force: readonly string[];
  /** Outputs recomputed by force in a parent workflow: stages that read them recompute too. */
  forcedDigests?: readonly Sha256[];
  /** Per-attempt time limits by stage name, over the defaults below (operators, tests). */
  attemptTimeouts?: Readonly<Record<string, string>>;
}

/** A stage's work, given the code fingerprint its key holds. */
type Work = (codeFingerprint: Sha256) => Promise<StageOutput>;

/** Stage activities: each takes its parameters and inputs as one flat object. */
type StageActivityName =
  | 'realSubset'
  | 'splitSubset'
  | 'fitEmbedding'
  | 'embed'
  | 'fitGenerator'
  | 'sampleImages'
  | 'mixDatasets'
  | 'replaceMix'
  | 'fillMix'
  | 'appendMix'
  | 'shiftTestSet'
  | 'evaluate'
  | 'sampleGrid'
  | 'gaussianChainsGeneration'
  | 'train'
  | 'generate'
  | 'defineOnnxEmbedding'
  | 'classify'
  | 'powerSpectra'
  | 'trainDetector'
  | 'auditReplicas'
  | 'hardSubset'
  | 'transformImages';

const RETRY = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  maximumAttempts: 8,
} as const;
/**
 * Stages that resume from heartbeated progress (training from its last checkpoint, sampling from
 * its finished shards). Attempts are unlimited: a lost worker or an attempt's time limit costs no
 * budget; the activity counts its own failures and gives up after a few (see asStage).
 */
const RESUMABLE: ReadonlySet<string> = new Set(['train', 'generate']);
// No maximumAttempts: unlimited. A short backoff: most retries here continue healthy work.
const RESUMABLE_RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
} as const;
// Liveness comes from heartbeats (every few seconds): a dead worker is noticed within a minute.
// The attempt time limit only bounds a wedged attempt; a resumable stage continues after it.
const HEARTBEAT_TIMEOUT = '1 minute';
const ATTEMPT_TIMEOUTS: Readonly<Record<string, string>> = {
  train: '24 hours',
  generate: '12 hours',
};
const DEFAULT_ATTEMPT_TIMEOUT = '6 hours';
// Lookups and records heartbeat: a lost worker costs 30 s, not the start-to-close limit, which
// only bounds a closure check over a very large manifest.
const CACHE_TIMEOUTS = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
} as const;

/**
 * Runs the stages of a study with the stage cache: look the stage's key up, reuse a complete
 * record, otherwise run it (on the cpu or gpu queue, with the code fingerprint its key holds) and
 * record it. Keeps the stage table of this workflow run.
 */
export class StageRunner {
  readonly entries: StageEntry[] = [];
  readonly #force: ReadonlySet<string>;
  readonly #forcedDigests: Set<Sha256>;
  readonly #cache;
  readonly #options: StageRunnerOptions;
  /** How to recompute each output this runner produced or reused: for inputs that vanish. */
  readonly #producers = new Map<Sha256, { label: string; call: StageCall; work: Work }>();

  constructor(options: StageRunnerOptions) {
    this.#options = options;
    this.#force = new Set(options.force);
    this.#forcedDigests = new Set(options.forcedDigests ?? []);
    this.#cache = proxyActivities<Activities>({
      taskQueue: options.cpuQueue,
      retry: RETRY,
      ...CACHE_TIMEOUTS,
    });
  }

  get forcedDigests(): Sha256[] {
    return [...this.#forcedDigests];
  }

  /** Runs the activity of the same name with `{ ...params, ...inputs, codeFingerprint }`. */
  stage(
    label: string,
    queue: 'cpu' | 'gpu',
    name: StageActivityName,
    params: Record<string, unknown>,
    inputs: Record<string, Sha256>,
    version = 1,
  ): Promise<StageOutput> {
    const activity = this.#activity(queue, name);
    return this.custom(label, { name, version, params, inputs }, (codeFingerprint) =>
      activity({ ...params, ...inputs, codeFingerprint }),
    );
  }

  /** Runs any work (e.g. a child workflow) as a cached stage; `work` gets the code fingerprint. */
  async custom(label: string, call: StageCall, work: Work): Promise<StageOutput> {
    const forced =
      this.#force.has(call.name) ||
      Object.values(call.inputs).some((d) => this.#forcedDigests.has(d));
    const { key, code, hit } = await this.#cache.lookupStage({ call, reuse: !forced, label });
    if (hit) {
      this.entries.push({ key, name: call.name, label, cacheHit: true, ...hit });
      this.#remember(label, call, work, hit);
      return hit;
    }
    let output: StageOutput;
    try {
      output = await work(code);
    } catch (error) {
      // An input that vanished after its stage was looked up (deleted, lost with a bucket):
      // recompute the stages of this run that made the missing inputs, then try once more.
      if (!isArtifactNotFound(error) || !(await this.#repairInputs(call))) throw error;
      output = await work(code);
    }
    await this.#cache.recordStage({ key, code, call, output });
    if (forced) for (const digest of Object.values(output.outputs)) this.#forcedDigests.add(digest);
    this.entries.push({ key, name: call.name, label, cacheHit: false, ...output });
    this.#remember(label, call, work, output);
    return output;
  }

  #remember(label: string, call: StageCall, work: Work, output: StageOutput): void {
    for (const digest of Object.values(output.outputs))
      this.#producers.set(digest, { label, call, work });
  }

  /** Looks the producers of `call`'s inputs up again and recomputes those that are incomplete. */
  async #repairInputs(call: StageCall): Promise<boolean> {
    let repaired = false;
    for (const digest of Object.values(call.inputs)) {
      const producer = this.#producers.get(digest);
      if (!producer) continue;
      const { key, code, hit } = await this.#cache.lookupStage({
        call: producer.call,
        reuse: true,
        label: producer.label,
        recheck: true,
      });
      if (hit) continue;
      const output = await producer.work(code);
      await this.#cache.recordStage({ key, code, call: producer.call, output });
      repaired = true;
    }
    return repaired;
  }

  #activity(queue: 'cpu' | 'gpu', name: StageActivityName) {
    const options: ActivityOptions = {
      taskQueue: queue === 'cpu' ? this.#options.cpuQueue : this.#options.gpuQueue,
      // A cancelled study closes once its running stages have stopped (a trainer killed, a thread
      // terminated; they learn of it from their next heartbeat), not while they still compute.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: RESUMABLE.has(name) ? RESUMABLE_RETRY : RETRY,
      heartbeatTimeout: HEARTBEAT_TIMEOUT,
      startToCloseTimeout:
        this.#options.attemptTimeouts?.[name] ?? ATTEMPT_TIMEOUTS[name] ?? DEFAULT_ATTEMPT_TIMEOUT,
    };
    return proxyActivities<Activities>(options)[name] as unknown as (
      input: Record<string, unknown>,
    ) => Promise<StageOutput>;
  }
}

/** Whether a stage failed because an artifact it reads is not in the store. */
function isArtifactNotFound(error: unknown): boolean {
  const cause =
    error instanceof ActivityFailure || error instanceof ChildWorkflowFailure
      ? error.cause
      : undefined;
  return cause instanceof ApplicationFailure && cause.type === 'ArtifactNotFoundError';
}
