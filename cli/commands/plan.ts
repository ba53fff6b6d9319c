import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import type { ClabConfig } from '../../lib/config.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import type { StudySpec } from '../../lib/studies/specs/index.ts';
import type { PlannedStage } from '../plan/plan-activities.ts';
import { planStudy, type StudyPlan } from '../plan/plan-study.ts';
import { formatTable } from '../table.ts';
import { connectClient } from '../temporal-client.ts';
import { isSpecPath, readRunInput, readSpec } from './study.ts';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      'Show, without running anything, which stages of a study the store holds and which would compute, and why',
    )
    .argument(
      '<spec-or-run>',
      'a spec file, or the workflow id of an earlier study run (its spec and forced stages)',
    )
    .option('--json', 'print the plan as one JSON object')
    .option(
      '--force <stage...>',
      'plan as if these stages were forced (for a run: instead of the stages it forced)',
    )
    .action(async (target: string, opts: { json?: boolean; force?: string[] }) => {
      const config = loadConfig();
      const store = openStore(config.store);
      const { spec, force, runStore } = await planTarget(config, target, opts.force);
      if (runStore !== undefined && runStore !== store.location)
        console.error(
          `clab plan: ${target} ran against ${runStore}, but this plan reads ${store.location} (CLAB_STORE)`,
        );
      console.error(
        `planning ${spec.name} against ${store.location}${force.length ? ` (forcing ${force.join(', ')})` : ''}`,
      );
      const plan = await planStudy({ config, spec, force, store });
      console.log(opts.json ? JSON.stringify(planJson(plan), null, 2) : formatPlan(plan));
    });
}

/** The spec and force list to plan: a spec file and `--force`, or what a run was started with. */
async function planTarget(
  config: ClabConfig,
  target: string,
  force: string[] | undefined,
): Promise<{ spec: StudySpec; force: string[]; runStore?: string }> {
  if (isSpecPath(target)) return { spec: readSpec(target), force: force ?? [] };
  const client = await connectClient(config);
  try {
    const input = await readRunInput(client, target);
    return {
      spec: input.spec,
      force: force ?? input.force ?? [],
      ...(input.store ? { runStore: input.store } : {}),
    };
  } finally {
    await client.connection.close();
  }
}

/** The plan as a table (STAGE, NAME, KEY, STATUS, WHY) and a summary line. */
export function formatPlan(plan: StudyPlan): string {
  const table = formatTable(
    ['STAGE', 'NAME', 'KEY', 'STATUS', 'WHY'],
    plan.stages.map((s) => [s.label, s.name, s.key ? s.key.slice(0, 12) : '-', s.status, why(s)]),
  );
  return `${table}\n${plan.stages.length} stages: ${plan.hits} hit, ${plan.computes} compute`;
}

export interface PlanJson {
  stages: {
    label: string;
    name: string;
    key: string | null;
    status: 'hit' | 'compute';
    reason: PlannedStage['reason'];
    changedFiles?: string[];
    missing?: string;
    reuses?: string;
  }[];
  hits: number;
  computes: number;
}

export function planJson(plan: StudyPlan): PlanJson {
  return {
    stages: plan.stages.map((s) => ({
      label: s.label,
      name: s.name,
      key: s.key ?? null,
      status: s.status,
      reason: s.reason,
      ...(s.changedFiles ? { changedFiles: s.changedFiles } : {}),
      ...(s.missing ? { missing: s.missing } : {}),
      ...(s.reuses ? { reuses: s.reuses } : {}),
    })),
    hits: plan.hits,
    computes: plan.computes,
  };
}

const MAX_FILES_SHOWN = 4;

function why(s: PlannedStage): string {
  switch (s.reason) {
    case 'cached':
      return 'cached';
    case 'same-run':
      return `computed earlier in this run (${s.reuses})`;
    case 'new-call':
      return 'new call';
    case 'new-code': {
      const files = s.changedFiles ?? [];
      if (!files.length) return 'new code';
      const more =
        files.length > MAX_FILES_SHOWN ? `, +${files.length - MAX_FILES_SHOWN} more` : '';
      return `new code: ${files.slice(0, MAX_FILES_SHOWN).join(', ')}${more}`;
    }
    case 'missing-output': {
      const output = s.missingOutput
        ? `${s.missingOutput.name}${s.missingOutput.part ? ' (a part of it)' : ''} `
        : '';
      return `missing output ${output}sha256:${s.missing}`;
    }
    case 'forced':
      return 'forced';
    case 'upstream':
      return 'compute (upstream)';
  }
}
