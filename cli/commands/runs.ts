import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import {
  activityRows,
  runVersion,
  workflowTaskBuilds,
  type ActivityRow,
  type RunVersion,
} from '../run-history.ts';
import type { StageEntry } from '../../lib/studies/stage.ts';
import { formatTable } from '../table.ts';
import { describeWaiting, waitingNotes } from '../waiting-stages.ts';
import { connectClient } from '../temporal-client.ts';

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('Audit experiment history kept by Temporal');

  runs
    .command('list')
    .description('List recent workflow runs, newest first')
    .option('--limit <n>', 'how many', '20')
    .option(
      '--query <visibility-query>',
      'a Temporal list filter, e.g. "WorkflowType=\'ingestDataset\'"',
    )
    .action(async (opts: { limit: string; query?: string }) => {
      const client = await connectClient(loadConfig());
      const rows: string[][] = [];
      for await (const run of client.workflow.list(opts.query ? { query: opts.query } : {})) {
        rows.push([
          run.workflowId,
          run.type,
          run.status.name,
          run.startTime.toISOString(),
          run.closeTime
            ? `${((run.closeTime.getTime() - run.startTime.getTime()) / 1000).toFixed(1)} s`
            : '',
        ]);
        if (rows.length >= Number(opts.limit)) break;
      }
      console.log(formatTable(['WORKFLOW ID', 'TYPE', 'STATUS', 'STARTED', 'DURATION'], rows));
    });

  runs
    .command('show')
    .description('Show one run: status, its activities with attempts, durations and outputs')
    .argument('<workflow-id>')
    .option('--json', 'print the full record as JSON')
    .action(async (workflowId: string, opts: { json?: boolean }) => {
      const config = loadConfig();
      const client = await connectClient(config);
      const handle = client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      const history = await handle.fetchHistory();
      const activities = activityRows(history.events ?? []);
      const version = runVersion(description.raw.workflowExecutionInfo?.versioningInfo);
      const builds = [...new Set(workflowTaskBuilds(history.events ?? []))];
      let result: unknown;
      if (description.status.name === 'COMPLETED') result = await handle.result();
      const roles = { [config.queues.cpu]: 'cpu', [config.queues.gpu]: 'gpu' };
      const waiting =
        description.status.name === 'RUNNING'
          ? (await waitingNotes(client, workflowId)).map((n) => describeWaiting(n, roles))
          : [];
      if (opts.json) {
        console.log(
          JSON.stringify(
            {
              workflowId,
              runId: description.runId,
              type: description.type,
              status: description.status.name,
              startTime: description.startTime,
              closeTime: description.closeTime,
              deployment: { ...version, workflowTaskBuilds: builds },
              waiting,
              result,
              activities,
            },
            null,
            2,
          ),
        );
        return;
      }
      console.log(`workflow  ${workflowId} (run ${description.runId})`);
      console.log(`type      ${description.type} on queue ${description.taskQueue}`);
      console.log(`status    ${description.status.name}`);
      console.log(`version   ${versionLine(version, builds)}`);
      console.log(
        `started   ${description.startTime.toISOString()}${description.closeTime ? `, closed ${description.closeTime.toISOString()}` : ''}`,
      );
      for (const line of waiting) console.log(line);
      if (result !== undefined && !(result as { stages?: unknown }).stages)
        console.log(`result    ${JSON.stringify(result)}`);
      const stages = (result as { stages?: StageEntry[] } | undefined)?.stages;
      if (stages) {
        console.log('');
        console.log(
          formatTable(
            ['STAGE', 'NAME', 'KEY', 'CACHE', 'ATTEMPTS', 'COMPUTE', 'OUTPUTS', 'FACTS'],
            stages.map((s) => [
              s.label,
              s.name,
              s.key.slice(0, 12),
              s.cacheHit ? 'hit' : 'computed',
              String(s.attempt),
              `${(s.computeMs / 1000).toFixed(2)} s`,
              Object.entries(s.outputs)
                .map(([k, d]) => `${k}=${d.slice(0, 12)}`)
                .join(' '),
              headline(s.facts),
            ]),
          ),
        );
      }
      console.log('');
      console.log(
        formatTable(
          ['ACTIVITY', 'TYPE', 'STATUS', 'ATTEMPTS', 'RUN', 'TOTAL', 'OUTPUT'],
          activities.map(activityCells),
        ),
      );
    });
}

/** Which build the run is pinned to, and which builds completed its workflow tasks. */
function versionLine(version: RunVersion, builds: string[]): string {
  const ran = builds.map((b) => b || 'unversioned');
  const where = version.buildId
    ? `${version.deploymentName}/${version.buildId}, ${version.behavior || 'no behavior'}`
    : 'unversioned (no worker of a deployment has run it yet)';
  const notes = [
    version.override ? `override: ${version.override}` : '',
    version.transitionTo ? `moving to ${version.transitionTo}` : '',
    ran.length === 1 && ran[0] === version.buildId
      ? 'every workflow task ran on it'
      : ran.length
        ? `workflow tasks ran on ${ran.join(', ')}`
        : '',
  ].filter(Boolean);
  return notes.length ? `${where} (${notes.join('; ')})` : where;
}

function activityCells(row: ActivityRow): string[] {
  return [
    row.id,
    row.type,
    row.status,
    String(row.attempts),
    seconds(row.durationMs),
    seconds(row.totalMs),
    row.failure ?? summarize(row.output),
  ];
}

/** The identifying part of an activity's output: its digest and counts, not the whole record. */
function summarize(output: unknown): string {
  if (output === null || typeof output !== 'object')
    return output === undefined ? '' : String(output);
  const o = output as Record<string, unknown>;
  const digest = o.digest ?? o.sha256 ?? o.indexDigest;
  const parts = [
    digest ? `sha256:${String(digest).slice(0, 16)}…` : '',
    o.count !== undefined ? `${o.count} images` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(2)} s`;
}

/** The numbers worth a glance: metric values rounded, no long arrays. */
function headline(facts: StageEntry['facts']): string {
  return Object.entries(facts)
    .filter(([, v]) => !Array.isArray(v))
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`)
    .join(' ');
}
