import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import type { SourceSpec } from '../../lib/datasets/source.ts';
import type { Sha256 } from '../../lib/digest.ts';
import { ingestDataset } from '../ingest-dataset.ts';
import type { StageRunner } from '../stage-runner.ts';

// Indexing hashes every file of a source (it heartbeats while it reads).
const sources = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** A source a study ingests: the stage's label, and the ingest child's id under the study's id. */
export interface SourceToIngest {
  source: SourceSpec;
  label: string;
  child: string;
}

/** A split of Fashion-MNIST: stage `ingest fashion-mnist/<split>`, child `<study id>/ingest-<split>`. */
export function fashionMnistSplit(split: 'train' | 'test'): SourceToIngest {
  return {
    source: { kind: 'fashion-mnist', split },
    label: `ingest fashion-mnist/${split}`,
    child: `ingest-${split}`,
  };
}

/**
 * Ingests a source as a cached stage keyed on the source's content: `indexSource` pins every file
 * of the source by digest, and the `ingest` stage (the ingestDataset child workflow) is keyed on
 * that index. So any study that reads the same files finds their shards in the cache.
 */
export async function ingestSource(
  runner: StageRunner,
  { source, label, child }: SourceToIngest,
  where: { cpuQueue: string; store?: string },
): Promise<{ dataset: Sha256; count: number }> {
  const { cpuQueue, store } = where;
  const indexed = await sources.indexSource({ source, ...(store ? { store } : {}) });
  const ingested = await runner.custom(
    label,
    { name: 'ingest', version: 2, params: {}, inputs: { source: indexed.indexDigest } },
    async () => {
      const manifest = await executeChild(ingestDataset, {
        workflowId: `${workflowInfo().workflowId}/${child}`,
        taskQueue: cpuQueue,
        args: [
          {
            indexDigest: indexed.indexDigest,
            count: indexed.count,
            cpuQueue,
            ...(store ? { store } : {}),
          },
        ],
      });
      return {
        outputs: { dataset: manifest.digest },
        facts: { count: manifest.count },
        attempt: 1,
        computeMs: 0,
      };
    },
  );
  return { dataset: ingested.outputs.dataset!, count: Number(ingested.facts.count) };
}
