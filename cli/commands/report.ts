import { resolve } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { InputError } from '../../lib/input-error.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import type { StudyResult } from '../../workflows/blocks/study.ts';
import { studyKindOfWorkflowType } from '../studies/index.ts';
import { connectClient } from '../temporal-client.ts';
import { defaultReportDir, writeStudyReport } from '../write-report.ts';
import { readRunInput } from './study.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      "Write a finished study run's report again from its recorded result (nothing is recomputed); prints the report's path",
    )
    .argument('<workflow-id>', 'a completed study run')
    .option('--out <dir>', 'where to write it (default $CLAB_HOME/reports/<workflow-id>)')
    .action(async (workflowId: string, opts: { out?: string }) => {
      const config = loadConfig();
      const client = await connectClient(config);
      console.log(await regenerateReport(client, config, workflowId, opts.out));
    });
}

/**
 * Writes the report of a completed study run from its recorded result: the workflow's result
 * payload (read through Temporal, which keeps it with the run's history), its stored table read
 * back from the store, and the kind's report writer; no stage runs. Also writes the report's
 * report.json and the index of `$CLAB_HOME/reports`. Returns the report's main page. An InputError
 * naming the workflow id for an unknown workflow, a workflow that is not a study run, and a run
 * that is not (or not successfully) finished.
 */
export async function regenerateReport(
  client: Client,
  config: ClabConfig,
  workflowId: string,
  out?: string,
): Promise<string> {
  const handle = client.workflow.getHandle(workflowId);
  let description: Awaited<ReturnType<typeof handle.describe>>;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new InputError(
        `no workflow ${workflowId} on the Temporal server at ${config.temporal.address} (namespace ${config.temporal.namespace}); list runs with: clab runs list`,
      );
    throw error;
  }
  const kind = studyKindOfWorkflowType(description.type, workflowId);
  const status = description.status.name;
  if (status !== 'COMPLETED')
    throw new InputError(
      status === 'RUNNING'
        ? `${workflowId} is not finished (status RUNNING): a report needs its result; follow it with: clab runs show ${workflowId}`
        : `${workflowId} did not complete (status ${status}): it has no result to report; see: clab runs show ${workflowId}`,
    );
  const result = (await handle.result()) as StudyResult;
  const store = openStore(config.store);
  let table: Awaited<ReturnType<typeof kind.load>>;
  try {
    table = await kind.load(store, result);
  } catch (error) {
    // the usual reason: the run wrote to another store than this configuration opens
    const ranOn = (await readRunInput(client, workflowId).catch(() => undefined))?.store;
    const hint =
      ranOn && ranOn !== store.location
        ? `; the run used the store ${ranOn}, this configuration opens ${store.location} (set CLAB_STORE)`
        : '';
    throw new Error(
      `cannot read the result table of ${workflowId} (${(error as Error).message})${hint}`,
    );
  }
  const dir = out ? resolve(out) : defaultReportDir(config.home, workflowId);
  return writeStudyReport({
    kind,
    table,
    store,
    dir,
    workflowId,
    home: config.home,
    status,
  });
}
