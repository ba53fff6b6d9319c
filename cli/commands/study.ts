import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { InputError } from '../../lib/input-error.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import { parseStudySpec, type StudySpec } from '../../lib/studies/specs/index.ts';
import { studyProgress } from '../../workflows/blocks/progress.ts';
import type { StudyInput, StudyResult } from '../../workflows/blocks/study.ts';
import { MultiLine, ProgressBar } from '../progress-bar.ts';
import {
  studyKindOf,
  studyKindOfWorkflowType,
  type AnyStudyKind,
  type StudyWorkflow,
} from '../studies/index.ts';
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

/**
 * The input (spec, force list, queues) a study run of any kind was started with, read from its
 * start event; an InputError if the workflow is not a study run.
 */
export async function readRunInput(
  client: Client,
  workflowId: string,
): Promise<StudyInput<StudySpec>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  studyKindOfWorkflowType(started?.workflowType?.name ?? undefined, workflowId);
  const { defaultPayloadConverter } = await import('@temporalio/common');
  return defaultPayloadConverter.fromPayload(
    started!.input!.payloads![0]!,
  ) as StudyInput<StudySpec>;
}

/** Reads and validates a study spec of any kind (its `study:` says which). */
export function readSpec(path: string): StudySpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`${path}: cannot read the spec (${(error as Error).message})`);
  }
  return parseStudySpec(text, path);
}

/**
 * Starts the study's workflow (its kind's), draws its progress until it ends, then prints its
 * table and writes its report; with `detach`, prints the workflow id and returns at once.
 */
export async function startAndFollow(
  client: Client,
  config: ClabConfig,
  spec: StudySpec,
  force: string[],
  opts: { detach?: boolean; reportDir?: string },
): Promise<void> {
  const kind = studyKindOf(spec);
  const store = openStore(config.store);
  const workflowId = `study-${spec.name}-${Date.now().toString(36)}`;
  const handle = await client.workflow.start(kind.workflow, {
    taskQueue: config.queues.cpu,
    workflowId,
    args: [
      kind.input(spec, {
        force,
        cpuQueue: config.queues.cpu,
        gpuQueue: config.queues.gpu,
        store: store.location,
      }),
    ],
  });
  console.error(`started ${workflowId}${force.length ? ` (forcing ${force.join(', ')})` : ''}`);
  if (opts.detach) {
    console.log(workflowId);
    return;
  }
  const result = await kind.load(
    store,
    await follow(client, handle, kind.workflows(spec, workflowId)),
  );
  kind.print(result);
  const dir = opts.reportDir ?? join(config.home, 'reports', workflowId);
  const report = await kind.writeReport(result, store, dir, workflowId);
  console.error(`${result.stageCount} stages (${result.cacheHits} from cache); report: ${report}`);
  console.log(workflowId);
}

/** Waits for the study, drawing a progress bar for each of its workflows (see StudyKind.workflows). */
async function follow(
  client: Client,
  handle: WorkflowHandle<AnyStudyKind['workflow']>,
  workflows: StudyWorkflow[],
): Promise<StudyResult> {
  const result = handle.result();
  let finished = false;
  result.then(
    () => (finished = true),
    () => (finished = true),
  );
  const width = Math.max(10, ...workflows.map((w) => w.label.length));
  const parts = workflows.map((w) => ({
    ...w,
    handle: client.workflow.getHandle(w.workflowId),
    bar: new ProgressBar(),
  }));
  const multi = new MultiLine();
  while (!finished) {
    const lines = await Promise.all(
      parts.map(async (p) => {
        const progress = await p.handle.query(studyProgress).catch(() => undefined);
        const done = progress?.stagesDone ?? 0;
        return p.bar.render(
          done,
          p.stages,
          p.label.padEnd(width),
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
