import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { DatasetManifestRef } from '../activities/ingest.ts';
import { ingestProgress, type ingestDataset } from '../workflows/ingest-dataset.ts';
import { ProgressBar } from './progress-bar.ts';

/** Waits for an ingest workflow, drawing its progress (queried from the workflow) as a bar. */
export async function followIngest(
  handle: WorkflowHandle<typeof ingestDataset>,
): Promise<DatasetManifestRef> {
  const bar = new ProgressBar();
  const result = handle.result();
  let finished = false;
  result.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    try {
      const p = await handle.query(ingestProgress);
      if (p.imagesTotal > 0)
        bar.update(
          p.imagesDone,
          p.imagesTotal,
          `${p.stage} ${p.shardsDone}/${p.shardsTotal} shards`,
          'images',
        );
    } catch {
      // no worker has answered the query yet (none running?): keep waiting for the result
    }
    await Promise.race([sleep(500), result.catch(() => undefined)]);
  }
  bar.finish();
  return result;
}
