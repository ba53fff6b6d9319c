import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { InputError } from '../../lib/input-error.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import { parseGenerationsSpec, type GenerationsSpec } from '../../lib/studies/generations-spec.ts';
import {
  generationsStudy,
  plannedStages,
  studyProgress,
  type GenerationsInput,
  type GenerationsResult,
} from '../../workflows/generations.ts';
import { loadGenerationsTable, type GenerationsTable } from '../generations-table.ts';
import { MultiLine, ProgressBar } from '../progress-bar.ts';
import { writeGenerationsReport } from '../study-report.ts';
import { formatTable } from '../table.ts';
import { connectClient } from '../temporal-client.ts';

export function registerStudy(program: Command): void {
  program
    .command('run')
    .description(
      'Run a study spec (YAML) as a Temporal workflow; prints its table and writes a report',
    )
    .argument('<spec>', 'the study spec file, e.g. studies/generations-gmm.yaml')
    .option(
      '--force <stage...>',
      'recompute these stages (by name, e.g. fitGenerator) and everything downstream',
    )
    .option('--detach', 'start the workflow, print its id and return')
    .option(
      '--report-dir <dir>',
      'where to write the report (default $CLAB_HOME/reports/<workflow-id>)',
    )
    .action(
      async (
        specPath: string,
        opts: { force?: string[]; detach?: boolean; reportDir?: string },
      ) => {
        const spec = readSpec(specPath);
        const config = loadConfig();
        const client = await connectClient(config);
        await startAndFollow(client, config, spec, opts.force ?? [], opts);
      },
    );

  program
    .command('rerun')
    .description(
      'Run a study again from a previous run (its spec is read from the run) or a spec file; cached stages are reused',
    )
    .argument('<run-or-spec>', 'a workflow id of an earlier study run, or a spec file')
    .option('--force <stage...>', 'recompute these stages and everything downstream')
    .option('--detach', 'start the workflow, print its id and return')
    .option('--report-dir <dir>', 'where to write the report')
    .action(
      async (target: string, opts: { force?: string[]; detach?: boolean; reportDir?: string }) => {
        const config = loadConfig();
        const client = await connectClient(config);
        const spec = isSpecPath(target)
          ? readSpec(target)
          : (await readRunInput(client, target)).spec;
        await startAndFollow(client, config, spec, opts.force ?? [], opts);
      },
    );
}

/** Whether a command's target names a spec file (rather than a workflow id). */
export function isSpecPath(target: string): boolean {
  return target.endsWith('.yaml') || target.endsWith('.yml') || target.endsWith('.json');
}

/** The input (spec, force list, queues) a study run was started with, read from its start event. */
export async function readRunInput(client: Client, workflowId: string): Promise<GenerationsInput> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (started?.workflowType?.name !== 'generationsStudy')
    throw new InputError(
      `${workflowId} is not a study run (its type is ${started?.workflowType?.name ?? 'unknown'})`,
    );
  const { defaultPayloadConverter } = await import('@temporalio/common');
  return defaultPayloadConverter.fromPayload(started.input!.payloads![0]!) as GenerationsInput;
}

export function readSpec(path: string): GenerationsSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`${path}: cannot read the spec (${(error as Error).message})`);
  }
  return parseGenerationsSpec(text, path);
}

export async function startAndFollow(
  client: Client,
  config: ClabConfig,
  spec: GenerationsSpec,
  force: string[],
  opts: { detach?: boolean; reportDir?: string },
): Promise<void> {
  const store = openStore(config.store);
  const workflowId = `study-${spec.name}-${Date.now().toString(36)}`;
  const handle = await client.workflow.start(generationsStudy, {
    taskQueue: config.queues.cpu,
    workflowId,
    args: [
      {
        spec,
        force,
        cpuQueue: config.queues.cpu,
        gpuQueue: config.queues.gpu,
        store: store.location,
      },
    ],
  });
  console.error(`started ${workflowId}${force.length ? ` (forcing ${force.join(', ')})` : ''}`);
  if (opts.detach) {
    console.log(workflowId);
    return;
  }
  const result = await loadGenerationsTable(store, await follow(client, handle, spec));
  printStudyTable(result);
  const dir = opts.reportDir ?? join(config.home, 'reports', workflowId);
  const report = await writeGenerationsReport(result, store, dir, workflowId);
  console.error(`${result.stageCount} stages (${result.cacheHits} from cache); report: ${report}`);
  console.log(workflowId);
}

/** Waits for the study, drawing a progress bar for the shared stages and one for each alpha's loop. */
async function follow(
  client: Client,
  handle: WorkflowHandle<typeof generationsStudy>,
  spec: GenerationsSpec,
): Promise<GenerationsResult> {
  const result = handle.result();
  let finished = false;
  result.then(
    () => (finished = true),
    () => (finished = true),
  );
  const planned = plannedStages(spec);
  const parts = [
    {
      label: 'shared',
      handle: handle as WorkflowHandle,
      total: planned.shared,
      bar: new ProgressBar(),
    },
    ...spec.loop.alphas.map((alpha) => ({
      label: `alpha=${alpha}`,
      handle: client.workflow.getHandle(`${handle.workflowId}/alpha=${alpha}`),
      total: planned.perLoop,
      bar: new ProgressBar(),
    })),
  ];
  const multi = new MultiLine();
  while (!finished) {
    const lines = await Promise.all(
      parts.map(async (p) => {
        const progress = await p.handle.query(studyProgress).catch(() => undefined);
        const done = progress?.stagesDone ?? 0;
        return p.bar.render(
          done,
          p.total,
          p.label.padEnd(10),
          `stages${progress?.cacheHits ? ` (${progress.cacheHits} cached)` : ''}  ${progress?.lastStage ?? ''}`,
          false,
        );
      }),
    );
    multi.draw(lines);
    await Promise.race([sleep(1000), result.catch(() => undefined)]);
  }
  multi.done();
  return result;
}

export function printStudyTable(result: GenerationsTable): void {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  console.log(
    `${result.name}: metrics in embedding ${result.embeddingId} (generation 0 = real D_0)`,
  );
  console.log(
    formatTable(
      ['ALPHA', 'G', 'TRAINED ON', 'SAMPLES', 'FID', 'PRECISION', 'RECALL', 'CLASS TV'],
      result.rows.map((r) => [
        String(r.alpha),
        String(r.generation),
        String(r.trainedOn),
        String(r.samples),
        f(r.fid),
        f(r.precision),
        f(r.recall),
        f(r.classHistogramDistance),
      ]),
    ),
  );
}
