import { proxyActivities } from '@temporalio/workflow';
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
}

/** Stage activities: each takes its parameters and inputs as one flat object. */
type StageActivityName =
  | 'realSubset'
  | 'fitEmbedding'
  | 'embed'
  | 'fitGenerator'
  | 'sampleImages'
  | 'mixDatasets'
  | 'evaluate'
  | 'sampleGrid'
  | 'gaussianChainsGeneration'
  | 'train'
  | 'generate'
  | 'defineOnnxEmbedding';

const RETRY = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  maximumAttempts: 8,
} as const;
// Stage activities heartbeat every few seconds; a worker that dies is noticed within a minute.
const STAGE_TIMEOUTS = { startToCloseTimeout: '6 hours', heartbeatTimeout: '1 minute' } as const;
const CACHE_TIMEOUTS = { startToCloseTimeout: '2 minutes' } as const;

/**
 * Runs the stages of a study with the stage cache: look the stage's key up, reuse a complete
 * record, otherwise run it (on the cpu or gpu queue) and record it. Keeps the run's stage table.
 */
export class StageRunner {
  readonly entries: StageEntry[] = [];
  readonly #force: ReadonlySet<string>;
  readonly #forcedDigests: Set<Sha256>;
  readonly #cache;
  readonly #queues;

  constructor(options: StageRunnerOptions) {
    this.#force = new Set(options.force);
    this.#forcedDigests = new Set(options.forcedDigests ?? []);
    this.#cache = proxyActivities<Activities>({
      taskQueue: options.cpuQueue,
      retry: RETRY,
      ...CACHE_TIMEOUTS,
    });
    this.#queues = {
      cpu: proxyActivities<Activities>({
        taskQueue: options.cpuQueue,
        retry: RETRY,
        ...STAGE_TIMEOUTS,
      }),
      gpu: proxyActivities<Activities>({
        taskQueue: options.gpuQueue,
        retry: RETRY,
        ...STAGE_TIMEOUTS,
      }),
    };
  }

  get forcedDigests(): Sha256[] {
    return [...this.#forcedDigests];
  }

  /** Runs the activity of the same name with `{ ...params, ...inputs }`. */
  stage(
    label: string,
    queue: 'cpu' | 'gpu',
    name: StageActivityName,
    params: Record<string, unknown>,
    inputs: Record<string, Sha256>,
    version = 1,
  ): Promise<StageOutput> {
    const activity = this.#queues[queue][name] as unknown as (
      input: Record<string, unknown>,
    ) => Promise<StageOutput>;
    return this.custom(label, { name, version, params, inputs }, () =>
      activity({ ...params, ...inputs }),
    );
  }

  /** Runs any work (e.g. a child workflow) as a cached stage. */
  async custom(
    label: string,
    call: StageCall,
    work: () => Promise<StageOutput>,
  ): Promise<StageOutput> {
    const forced =
      this.#force.has(call.name) ||
      Object.values(call.inputs).some((d) => this.#forcedDigests.has(d));
    const { key, hit } = await this.#cache.lookupStage({ call, reuse: !forced });
    if (hit) {
      this.entries.push({
        key,
        name: call.name,
        label,
        cacheHit: true,
        outputs: hit.outputs,
        facts: hit.facts,
        attempt: hit.attempt,
        computeMs: hit.computeMs,
      });
      return hit;
    }
    const output = await work();
    await this.#cache.recordStage({ key, call, output });
    if (forced) for (const digest of Object.values(output.outputs)) this.#forcedDigests.add(digest);
    this.entries.push({ key, name: call.name, label, cacheHit: false, ...output });
    return output;
  }
}
