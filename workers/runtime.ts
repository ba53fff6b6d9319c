import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { ClabConfig } from '../lib/config.ts';

/**
 * Installs the Temporal Core runtime of this process: its log level and, when the config names a
 * metrics address (CLAB_METRICS_ADDRESS), a Prometheus endpoint at http://<address>/metrics with
 * the SDK's worker metrics (task slots, poll and schedule-to-start latencies, activity outcomes).
 * Must run before the first worker or connection is created: the runtime is made once.
 */
export function installRuntime(config: ClabConfig, logLevel?: LogLevel): void {
  Runtime.install({
    ...(logLevel ? { logger: new DefaultLogger(logLevel) } : {}),
    ...(config.metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.metricsAddress } } } }
      : {}),
  });
}
