import { Command } from 'commander';
import { registerCancel } from './commands/cancel.ts';
import { registerDemo } from './commands/demo.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerLineage } from './commands/lineage.ts';
import { registerPlan } from './commands/plan.ts';
import { registerReplicas } from './commands/replicas.ts';
import { registerReport } from './commands/report.ts';
import { registerStudy } from './commands/study.ts';
import { registerMetrics } from './commands/metrics.ts';
import { registerRuns } from './commands/runs.ts';
import { registerWorker } from './commands/worker.ts';
import { registerWorkers } from './commands/workers.ts';

const program = new Command()
  .name('clab')
  .description(
    'contamination-lab: durable experiments on generated images leaking into training data',
  )
  .showHelpAfterError();

registerDemo(program);
registerWorker(program);
registerWorkers(program);
registerDeploy(program);
registerIngest(program);
registerStudy(program);
registerPlan(program);
registerRuns(program);
registerCancel(program);
registerReport(program);
registerLineage(program);
registerMetrics(program);
registerReplicas(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // CLAB_DEBUG=1 prints where an unexpected error came from
  console.error(process.env.CLAB_DEBUG ? error : `clab: ${(error as Error).message}`);
  process.exitCode = 1;
}
