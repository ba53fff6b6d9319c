// `clab report <workflow-id>` against the test Temporal server: a run recorded with a detection
// result (a workflow of the study's type that runs no stage, its table and spectra in a local
// store) gets its report, report.json and the reports index written again; runs that are not
// finished, failed, are not study runs or do not exist get an error naming the id and status.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { regenerateReport } from '../../cli/commands/report.ts';
import { readReportRecord } from '../../cli/report-index.ts';
import { configFromEnv } from '../../lib/config.ts';
import { putJson } from '../../lib/storage/json-artifacts.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';
import { STUDY_TABLE_FORMAT } from '../../lib/studies/study-table.ts';
import { detectionFixture } from '../helpers/report-fixtures.ts';
import { testClient } from '../helpers/stack.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe('clab report', () => {
  const root = mkdtempSync(join(tmpdir(), 'clab-report-command-'));
  const env = {
    CLAB_HOME: join(root, 'home'),
    CLAB_STORE: join(root, 'store'),
    CLAB_TEMPORAL_ADDRESS: inject('temporalAddress'),
  };
  const config = configFromEnv(env);
  const store = new LocalArtifactStore(env.CLAB_STORE);
  const taskQueue = `report-command-${randomUUID().slice(0, 8)}`;
  const id = (name: string) => `${name}-${taskQueue}`;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    // the failing workflow is meant to fail: no warning for it
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    client = await testClient();
    worker = await Worker.create({
      connection: await NativeConnection.connect({ address: env.CLAB_TEMPORAL_ADDRESS }),
      taskQueue,
      workflowsPath: fileURLToPath(
        new URL('../helpers/recorded-study-workflows.ts', import.meta.url),
      ),
    });
    running = worker.run();

    // a detection run's recorded result: its table piece and spectra in the store
    const { rows, spectraReport, stages: _stages, ...result } = detectionFixture('recorded det');
    const table = await putJson(store, { format: STUDY_TABLE_FORMAT, rows, stages: [] });
    const spectra = await putJson(store, spectraReport);
    const recorded = { ...result, table: table.digest, spectra: spectra.digest };
    await client.workflow.execute('detectionStudy', {
      taskQueue,
      workflowId: id('study-det'),
      args: [{ result: recorded }],
    });
    await client.workflow.execute('notAStudy', { taskQueue, workflowId: id('ingest') });
    await client.workflow.start('generationsStudy', { taskQueue, workflowId: id('study-running') });
    await client.workflow
      .execute('contaminationStudy', { taskQueue, workflowId: id('study-failed') })
      .catch(() => undefined);
  });

  afterAll(async () => {
    await client?.workflow
      .getHandle(id('study-running'))
      .terminate()
      .catch(() => undefined);
    worker?.shutdown();
    await running;
    rmSync(root, { recursive: true, force: true });
  });

  it('writes a completed run’s report from its result, with report.json and the index', async () => {
    const path = await regenerateReport(client, config, id('study-det'));
    const dir = join(env.CLAB_HOME, 'reports', id('study-det'));
    expect(path).toBe(join(dir, 'index.html'));
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<title>recorded det: detecting generated images</title>');
    expect(html).toContain(id('study-det'));
    expect(existsSync(join(dir, 'plots', 'spectra.svg'))).toBe(true);
    expect(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + 8);
    expect(readReportRecord(dir)).toMatchObject({
      name: 'recorded det',
      kind: 'detection',
      workflowId: id('study-det'),
      status: 'COMPLETED',
      page: 'index.html',
    });
    const index = readFileSync(join(env.CLAB_HOME, 'reports', 'index.html'), 'utf8');
    expect(index).toContain(`<a href="${id('study-det')}/index.html">${id('study-det')}</a>`);
  });

  it('the command prints the path of a report written with --out', () => {
    const out = join(root, 'elsewhere');
    const cli = spawnSync(
      process.execPath,
      ['bin/clab.mjs', 'report', id('study-det'), '--out', out],
      { cwd: REPO, env: { ...process.env, ...env }, encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout.trim()).toBe(join(out, 'index.html'));
    expect(readReportRecord(out)?.workflowId).toBe(id('study-det'));
  });

  it('refuses runs that are not finished, failed, not studies or unknown, naming id and status', async () => {
    await expect(regenerateReport(client, config, id('study-running'))).rejects.toThrowError(
      `${id('study-running')} is not finished (status RUNNING)`,
    );
    await expect(regenerateReport(client, config, id('study-failed'))).rejects.toThrowError(
      `${id('study-failed')} did not complete (status FAILED)`,
    );
    await expect(regenerateReport(client, config, id('ingest'))).rejects.toThrowError(
      `${id('ingest')} is not a study run (its type is notAStudy`,
    );
    await expect(regenerateReport(client, config, id('nothing'))).rejects.toThrowError(
      `no workflow ${id('nothing')} on the Temporal server`,
    );
    expect(existsSync(join(env.CLAB_HOME, 'reports', id('study-failed')))).toBe(false);
    const cli = spawnSync(process.execPath, ['bin/clab.mjs', 'report', id('study-failed')], {
      cwd: REPO,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(`clab: ${id('study-failed')} did not complete (status FAILED)`);
  });
});
