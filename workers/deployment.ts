// Worker Deployment versioning: which build a worker reports, and the deployment's routing (which
// build new studies start on). Workers pin every workflow to the build that started it (PINNED),
// so a study that runs for days stays on its code while new studies move to a newer build.
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowService } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { ClabConfig } from '../lib/config.ts';

// temporal.api.enums.v1.WorkerDeploymentVersionStatus and VersionDrainageStatus, by number
const VERSION_STATUS = ['', 'inactive', 'current', 'ramping', 'draining', 'drained', 'created'];
const DRAINAGE_STATUS = ['', 'draining', 'drained'];
const NOT_FOUND = 5; // gRPC status codes

/**
 * The version the workers of this process report: CLAB_BUILD_ID if set, else `wf-` and the first
 * 16 hex digits of the workflow code's fingerprint (its import closure and the SDK version), so
 * that every process started from the same workflow code, cpu or gpu, reports the same version,
 * and a change to activity code alone does not make a new one.
 */
export function workerDeploymentVersion(
  config: Pick<ClabConfig, 'deployment'>,
  workflowFingerprint: string,
): WorkerDeploymentVersion {
  return {
    deploymentName: config.deployment.name,
    buildId: config.deployment.buildId ?? `wf-${workflowFingerprint.slice(0, 16)}`,
  };
}

export interface VersionSummary {
  buildId: string;
  /** inactive, current, ramping, draining or drained */
  status: string;
  /** Whether pinned workflows still run on it: draining, drained, or '' when unknown. */
  drainage: string;
  createTime?: Date;
}

export interface DeploymentStatus {
  name: string;
  current?: string;
  ramping?: { buildId: string; percentage: number };
  versions: VersionSummary[];
}

/** The deployment's routing and its known versions, or undefined if no worker of it ever polled. */
export async function describeDeployment(
  service: WorkflowService,
  namespace: string,
  deploymentName: string,
): Promise<DeploymentStatus | undefined> {
  let info: temporal.api.deployment.v1.IWorkerDeploymentInfo | null | undefined;
  try {
    ({ workerDeploymentInfo: info } = await service.describeWorkerDeployment({
      namespace,
      deploymentName,
    }));
  } catch (error) {
    if (grpcCode(error) === NOT_FOUND) return undefined;
    throw error;
  }
  const routing = info?.routingConfig;
  const ramping = routing?.rampingDeploymentVersion?.buildId;
  return {
    name: deploymentName,
    ...(routing?.currentDeploymentVersion?.buildId
      ? { current: routing.currentDeploymentVersion.buildId }
      : {}),
    ...(ramping
      ? { ramping: { buildId: ramping, percentage: routing.rampingVersionPercentage ?? 0 } }
      : {}),
    versions: (info?.versionSummaries ?? []).map((v) => ({
      buildId: v.deploymentVersion?.buildId ?? '',
      status: VERSION_STATUS[v.status ?? 0] ?? '',
      drainage: DRAINAGE_STATUS[v.drainageInfo?.status ?? v.drainageStatus ?? 0] ?? '',
      ...(v.createTime ? { createTime: toDate(v.createTime) } : {}),
    })),
  };
}

/**
 * Makes `buildId` the deployment's current version: new workflows (and workflows started without
 * a version) go to its workers; pinned workflows stay where they are. Returns the previous
 * current build id. The server refuses a build none of whose workers has polled yet.
 */
export async function setCurrentVersion(
  service: WorkflowService,
  namespace: string,
  version: WorkerDeploymentVersion,
  options: { conflictToken?: Uint8Array | null; identity?: string } = {},
): Promise<string | undefined> {
  const response = await service.setWorkerDeploymentCurrentVersion({
    namespace,
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    ...(options.conflictToken ? { conflictToken: options.conflictToken } : {}),
    identity: options.identity ?? 'clab',
  });
  return response.previousDeploymentVersion?.buildId || undefined;
}

export type RoutingOutcome =
  | { kind: 'already-current' }
  | { kind: 'made-current'; previous?: string }
  | { kind: 'not-promoted'; current: string }
  | { kind: 'gave-up'; reason: string };

export interface RouteOptions {
  service: WorkflowService;
  namespace: string;
  version: WorkerDeploymentVersion;
  /** The task queues this process's workers poll: the version must have them all before it is routed. */
  queues: readonly string[];
  autoPromote: boolean;
  log: (line: string) => void;
  /** Whether the workers poll yet; once they stopped, the routing is abandoned quietly. */
  running: () => 'waiting' | 'running' | 'stopped';
  /** How long the version may take to appear with all its queues once the workers run. */
  timeoutMs?: number;
}

/**
 * What a worker does when it starts: waits until the server knows this version with all its task
 * queues (the first polls register it), then makes it current if the deployment has no current
 * version yet, or if auto-promotion is on; otherwise logs how to promote it.
 */
export async function routeVersion(options: RouteOptions): Promise<RoutingOutcome> {
  const { service, namespace, version, log } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pause = () => sleep(250, undefined, { ref: false }); // never keeps a process alive
  let deadline: number | undefined;
  let problem = '';
  for (;;) {
    const state = options.running();
    if (state === 'stopped') return { kind: 'gave-up', reason: 'the workers stopped' };
    if (state === 'running') {
      deadline ??= Date.now() + timeoutMs;
      try {
        const missing = await missingQueues(service, namespace, version, options.queues);
        if (missing.length === 0) return await decide(options);
        problem = `the server does not list task queue(s) ${missing.join(', ')} for this build yet`;
      } catch (error) {
        if (options.running() === 'stopped')
          return { kind: 'gave-up', reason: 'the workers stopped' };
        problem = (error as Error).message;
      }
      if (Date.now() > deadline) {
        log(
          `could not route build ${version.buildId} of deployment ${version.deploymentName} (${problem}); see npx clab deploy status`,
        );
        return { kind: 'gave-up', reason: problem };
      }
    }
    await pause();
  }
}

/** One routing decision; throws to be tried again (a concurrent change, a refusal of the server). */
async function decide({
  service,
  namespace,
  version,
  autoPromote,
  log,
}: RouteOptions): Promise<RoutingOutcome> {
  const { workerDeploymentInfo: info, conflictToken } = await service.describeWorkerDeployment({
    namespace,
    deploymentName: version.deploymentName,
  });
  const current = info?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
  if (current === version.buildId) return { kind: 'already-current' };
  const who = `build ${version.buildId} of deployment ${version.deploymentName}`;
  if (current && !autoPromote) {
    log(
      `${who} is not current (${current} is): new studies still start on ${current}. To start them on this build, run: npx clab deploy promote ${version.buildId}`,
    );
    return { kind: 'not-promoted', current };
  }
  // With the conflict token a concurrent change (another worker of this build, a promotion)
  // fails this call, and the caller decides again.
  const previous = await setCurrentVersion(service, namespace, version, { conflictToken });
  log(
    previous
      ? `made ${who} current (it was ${previous}): new studies start on it, studies started on ${previous} stay on ${previous} and need a worker of that build to finish (npx clab deploy status)`
      : `made ${who} current`,
  );
  return { kind: 'made-current', ...(previous ? { previous } : {}) };
}

/** The queues the server does not (yet) list for this version. */
async function missingQueues(
  service: WorkflowService,
  namespace: string,
  version: WorkerDeploymentVersion,
  queues: readonly string[],
): Promise<string[]> {
  let listed: string[] = [];
  try {
    const { workerDeploymentVersionInfo } = await service.describeWorkerDeploymentVersion({
      namespace,
      deploymentVersion: { deploymentName: version.deploymentName, buildId: version.buildId },
    });
    listed = (workerDeploymentVersionInfo?.taskQueueInfos ?? []).map((q) => q.name ?? '');
  } catch (error) {
    if (grpcCode(error) !== NOT_FOUND) throw error;
  }
  return queues.filter((q) => !listed.includes(q));
}

function grpcCode(error: unknown): number | undefined {
  return (error as { code?: number } | undefined)?.code;
}

function toDate(t: { seconds?: unknown; nanos?: number | null }): Date {
  return new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));
}
