import { Runtime, type Logger, type LogLevel } from '@temporalio/worker';
import type { ClabConfig } from '../lib/config.ts';
import { createLogger, logFormatFrom, logLevelFrom, type LogFormat } from './logging.ts';

/**
 * Installs the Temporal Core runtime of this process: its logger and, when the config names a
 * metrics address (CLAB_METRICS_ADDRESS), a Prometheus endpoint at http://<address>/metrics with
 * the SDK's worker metrics (task slots, poll and schedule-to-start latencies, activity outcomes).
 * The logger (workers/logging.ts) writes JSON lines or text (CLAB_LOG_FORMAT) at `logLevel`
 * (default CLAB_LOG_LEVEL, else INFO); Core's own lines are forwarded to it, so they come out in
 * the same format. Must run before the first worker or connection is created: the runtime is made
 * once. Returns the logger, for the process's own lines.
 */
export function installRuntime(
  config: ClabConfig,
  logLevel?: LogLevel,
  format: LogFormat = logFormatFrom(),
): Logger {
  const logger = createLogger(format, logLevel ?? logLevelFrom());
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(config.metricsAddress
        ? { metrics: { prometheus: { bindAddress: config.metricsAddress } } }
        : {}),
    },
  });
  return logger;
}
