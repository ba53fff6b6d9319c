// Worker entry point for the `cpu` task queue: the workflows and the CPU activities.
import { loadConfig } from '../infra/load-config.ts';
import { runWorkers } from './run-workers.ts';

await runWorkers({ config: loadConfig(), roles: ['cpu'] });
