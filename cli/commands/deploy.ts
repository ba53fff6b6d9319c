import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { CodeFingerprints } from '../../activities/code-fingerprints.ts';
import { loadConfig } from '../../infra/load-config.ts';
import type { ClabConfig } from '../../lib/config.ts';
import {
  describeDeployment,
  setCurrentVersion,
  workerDeploymentVersion,
} from '../../workers/deployment.ts';
import { formatTable } from '../table.ts';
import { connectClient } from '../temporal-client.ts';

/**
 * `clab deploy`: the worker deployment's routing. Workers report a build (the workflow code's
 * fingerprint, or CLAB_BUILD_ID); each study stays on the build that started it, and new studies
 * start on the deployment's current build.
 */
export function registerDeploy(program: Command): void {
  const deploy = program
    .command('deploy')
    .description('Worker builds: which one new studies start on, and which ones still run studies');

  deploy
    .command('status')
    .description('Current and ramping builds, and every known build with its running studies')
    .option('--deployment <name>', 'the worker deployment (default: CLAB_DEPLOYMENT_NAME)')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { deployment?: string; json?: boolean }) => {
      const config = loadConfig();
      const name = opts.deployment ?? config.deployment.name;
      const client = await connectClient(config);
      const status = await describeDeployment(
        client.workflowService,
        config.temporal.namespace,
        name,
      );
      const here = checkoutBuild(config);
      if (!status) {
        if (opts.json) console.log(JSON.stringify({ name, versions: [], checkout: here }, null, 2));
        else
          console.log(
            `No worker of deployment ${name} has polled this server yet (this checkout's build: ${here}).`,
          );
        return;
      }
      const versions = await Promise.all(
        status.versions.map(async (v) => ({
          ...v,
          running: await runningOn(client, name, v.buildId),
        })),
      );
      if (opts.json) {
        console.log(JSON.stringify({ ...status, versions, checkout: here }, null, 2));
        return;
      }
      console.log(`deployment  ${name}`);
      console.log(`current     ${status.current ?? '(none: new studies wait for a promotion)'}`);
      if (status.ramping)
        console.log(`ramping     ${status.ramping.buildId} (${status.ramping.percentage}%)`);
      console.log(
        `checkout    ${here}${here === status.current ? ' (current)' : status.versions.some((v) => v.buildId === here) ? '' : ' (no worker of it has polled yet)'}`,
      );
      console.log('');
      console.log(
        formatTable(
          ['BUILD', 'STATUS', 'DRAINAGE', 'RUNNING', 'FIRST SEEN'],
          versions.map((v) => [
            v.buildId,
            v.status,
            v.drainage,
            v.running === undefined ? '?' : String(v.running),
            v.createTime?.toISOString() ?? '',
          ]),
        ),
      );
      console.log('');
      console.log(
        "RUNNING: open workflows pinned to the build; they need a worker of that build to finish. DRAINAGE is the server's periodic check of a build that is no longer current: draining (pinned workflows may still run on it) or drained (none do: its workers may stop).",
      );
    });

  deploy
    .command('promote')
    .description('Make a build current: new studies start on it, running ones stay on their build')
    .argument('<build-id>', 'a build whose workers have polled (see clab deploy status)')
    .option('--deployment <name>', 'the worker deployment (default: CLAB_DEPLOYMENT_NAME)')
    .action(async (buildId: string, opts: { deployment?: string }) => {
      const config = loadConfig();
      const deploymentName = opts.deployment ?? config.deployment.name;
      const client = await connectClient(config);
      const previous = await setCurrentVersion(client.workflowService, config.temporal.namespace, {
        deploymentName,
        buildId,
      }).catch(async (error: unknown) => {
        if ((error as { code?: number }).code !== 5) throw error; // NOT_FOUND
        const known = await describeDeployment(
          client.workflowService,
          config.temporal.namespace,
          deploymentName,
        );
        throw new Error(
          `No worker of build ${buildId} of deployment ${deploymentName} has polled yet; start one first (known builds: ${known?.versions.map((v) => v.buildId).join(', ') || 'none'})`,
        );
      });
      console.log(
        `${deploymentName}: ${buildId} is current${previous && previous !== buildId ? ` (was ${previous}; studies started on ${previous} stay on it until they finish)` : ''}`,
      );
    });
}

/** The build a worker started from this checkout reports. */
function checkoutBuild(config: ClabConfig): string {
  return workerDeploymentVersion(config, new CodeFingerprints(config).workflows().fingerprint)
    .buildId;
}

/** Open workflows pinned to this build, from visibility (undefined if the server cannot say). */
async function runningOn(
  client: Client,
  deploymentName: string,
  buildId: string,
): Promise<number | undefined> {
  try {
    const { count } = await client.workflow.count(
      `TemporalWorkerDeploymentVersion = '${deploymentName}:${buildId}' AND ExecutionStatus = 'Running'`,
    );
    return count;
  } catch {
    return undefined;
  }
}
