// Worker entry point for the `gpu` task queue: the activities that want an accelerator.
import { loadConfig } from '../infra/load-config.ts';
import { runWorkers } from './run-workers.ts';

await runWorkers({ config: loadConfig(), roles: ['gpu'] });
