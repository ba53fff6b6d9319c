import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { InputError } from '../../lib/input-error.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import { parseStudySpec, type StudySpec } from '../../lib/studies/specs/index.ts';
import { studyProgress } from '../../workflows/blocks/progress.ts';
import type { StudyInput, StudyResult } from '../../workflows/blocks/study.ts';
import { ingestDataset, ingestProgress } from '../../workflows/ingest-dataset.ts';
import { MultiLine, ProgressBar } from '../progress-bar.ts';
import { ingestProgressText, runningStagesText, withStageProgress } from '../stage-progress.ts';
import {
  studyKindOf,
  studyKindOfWorkflowType,
  type AnyStudyKind,
  type StudyWorkflow,
} from '../studies/index.ts';
import { connectClient } from '../temporal-client.ts';
import { defaultReportDir, writeStudyReport } from '../write-report.ts';

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
  const dir = opts.reportDir ?? defaultReportDir(config.home, workflowId);
  const report = await writeStudyReport({
    kind,
    table: result,
    store,
    dir,
    workflowId,
    home: config.home,
    status: 'COMPLETED',
  });
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
    /** Whether its run has ended (so it is not described again). */
    closed: false,
  }));
  const multi = new MultiLine();
  // On a terminal each bar also shows its workflow's running stage (a describe per workflow and
  // poll); elsewhere the lines print only when they change, so they keep to the stage counts.
  const live = multi.isTty;
  while (!finished) {
    const lines = await Promise.all(
      parts.map(async (p) => {
        const [progress, running] = await Promise.all([
          p.handle.query(studyProgress).catch(() => undefined),
          live && !p.closed ? runningStage(client, p.handle) : undefined,
        ]);
        if (running === CLOSED) p.closed = true;
        const done = progress?.stagesDone ?? 0;
        const line = p.bar.render(
          done,
          p.stages,
          p.label.padEnd(width),
          `stages${progress?.cacheHits ? ` (${progress.cacheHits} cached)` : ''}  ${progress?.lastStage ?? ''}`,
          false,
        );
        return typeof running === 'string'
          ? withStageProgress(line, running, process.stderr.columns)
          : line;
      }),
    );
    multi.draw(lines);
    await Promise.race([sleep(1000), result.catch(() => undefined)]);
  }
  multi.done();
  return result;
}

/** What runningStage returns for a workflow whose run has ended. */
const CLOSED = Symbol('closed');

/** Statuses after which a workflow id has nothing running (a continued run is followed by its id). */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

/**
 * The progress text of what `handle`'s workflow is running now: its pending activities' heartbeat
 * details and its ingest children's progress (cli/stage-progress.ts); '' when it has not started
 * or runs nothing that reports, CLOSED once it has ended.
 */
async function runningStage(
  client: Client,
  handle: WorkflowHandle,
): Promise<string | typeof CLOSED> {
  const description = await handle.describe().catch(() => undefined);
  if (!description) return '';
  if (ENDED.has(description.status.name)) return CLOSED;
  const pending = (description.raw.pendingActivities ?? []).map((a) => ({
    type: a.activityType?.name ?? '',
    details: decodeDetails(a.heartbeatDetails?.payloads?.[0]),
  }));
  const ingests = await Promise.all(
    (description.raw.pendingChildren ?? [])
      .filter((c) => c.workflowTypeName === ingestDataset.name && c.workflowId)
      .map((c) =>
        client.workflow
          .getHandle(c.workflowId!)
          .query(ingestProgress)
          .then(ingestProgressText, () => ''),
      ),
  );
  return [runningStagesText(pending), ...ingests].filter((t) => t !== '').join(', ');
}

/** A heartbeat payload decoded, or undefined if there is none or it does not decode. */
function decodeDetails(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}
