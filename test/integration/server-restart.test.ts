// Stops and restarts the Temporal dev server (same database file) in the middle of an ingest.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { stopChild } from '../../infra/server-process.ts';
import { startTemporalServer } from '../../infra/temporal-server.ts';
import { configFromEnv } from '../../lib/config.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import { ingestDataset, ingestProgress } from '../../workflows/ingest-dataset.ts';
import { freePort } from '../../infra/free-port.ts';
import { withWorkers } from '../helpers/in-process-worker.ts';
import { testClient } from '../helpers/stack.ts';

describe('a Temporal server restart mid-run', () => {
  it('does not lose the run: the workflow completes once the server is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clab-restart-'));
    const port = await freePort();
    const uiPort = await freePort();
    const serverOptions = {
      bin: inject('temporalBin'),
      port,
      uiPort,
      dbFile: join(dir, 'temporal.db'),
      logFile: join(dir, 'temporal.log'),
      detached: false,
    };
    let server = await startTemporalServer(serverOptions);
    const address = `127.0.0.1:${port}`;
    const config = configFromEnv({
      CLAB_HOME: dir,
      CLAB_TEMPORAL_ADDRESS: address,
      CLAB_ACTIVITY_CONCURRENCY: '1',
    });

    try {
      const manifestRef = await withWorkers(config, async () => {
        const client = await testClient(address);
        const handle = await client.workflow.start(ingestDataset, {
          taskQueue: 'cpu',
          workflowId: `restart-${Date.now()}`,
          args: [{ source: { kind: 'fashion-mnist', split: 'test' }, shardSize: 500 }],
        });
        let progress = await handle.query(ingestProgress);
        while (progress.shardsDone < 3) {
          await sleep(100);
          progress = await handle.query(ingestProgress);
        }
        await stopChild(server.child);
        await sleep(3000);
        server = await startTemporalServer(serverOptions);

        const after = await (
          await testClient(address)
        ).workflow
          .getHandle(handle.workflowId)
          .result();
        const history = await (
          await testClient(address)
        ).workflow
          .getHandle(handle.workflowId)
          .fetchHistory();
        expect(history.events!.length).toBeGreaterThan(0);
        expect(progress.shardsDone).toBeLessThan(20); // the restart really happened mid-run
        return after;
      });
      expect(manifestRef.count).toBe(10000);
      expect(manifestRef.shards).toBe(20);
      const manifest = await getJson<DatasetManifest>(
        new LocalArtifactStore(join(dir, 'store')),
        manifestRef.digest,
      );
      expect(manifest.classHistogram).toEqual(new Array(10).fill(1000));
    } finally {
      await stopChild(server.child);
    }
  }, 300_000);
});
