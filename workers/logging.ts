// The log of a worker process: one JSON object per line on stdout (pino), or the SDK's readable
// text lines on stderr. The same logger is installed as the Temporal runtime's logger, so the SDK's
// own lines (worker state, failed activities, Core's warnings) and the activities' lines
// (Context.current().log, which adds workflowId, activityType, attempt, taskQueue, ...) come out
// in the one format.
import { pino, type Logger as Pino } from 'pino';
import type { Context } from '@temporalio/activity';
import {
  DefaultLogger,
  LogTimestamp,
  type ActivityInterceptorsFactory,
  type Logger,
  type LogLevel,
} from '@temporalio/worker';

export type LogFormat = 'json' | 'text';

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * CLAB_LOG_FORMAT: `json` or `text`; unset, `text` when stdout is a terminal (a worker started by
 * hand) and `json` otherwise (a worker under systemd, Kubernetes, a pipe or a log file).
 */
export function logFormatFrom(
  env: NodeJS.ProcessEnv = process.env,
  isTerminal = Boolean(process.stdout.isTTY),
): LogFormat {
  const raw = env.CLAB_LOG_FORMAT?.trim().toLowerCase();
  if (!raw) return isTerminal ? 'text' : 'json';
  if (raw === 'json' || raw === 'text') return raw;
  throw new Error(`Expected CLAB_LOG_FORMAT to be json or text, got \`${env.CLAB_LOG_FORMAT}\``);
}

/** CLAB_LOG_LEVEL: trace, debug, info (default), warn or error. */
export function logLevelFrom(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = (env.CLAB_LOG_LEVEL?.trim() || 'info').toUpperCase() as LogLevel;
  if (LEVELS.includes(raw)) return raw;
  throw new Error(
    `Expected CLAB_LOG_LEVEL to be trace, debug, info, warn or error, got \`${env.CLAB_LOG_LEVEL}\``,
  );
}

/** A Temporal Logger that writes one JSON object per line: time, level, msg, then the metadata. */
export class JsonLogger implements Logger {
  readonly #pino: Pino;

  constructor(level: LogLevel = 'INFO', destination: NodeJS.WritableStream | number = 1) {
    this.#pino = pino(
      {
        level: level.toLowerCase(),
        messageKey: 'msg',
        // `time` is set by log(): when the line was made, not when it was written
        timestamp: false,
        formatters: { level: (label) => ({ level: label }) },
        serializers: { err: pino.stdSerializers.err },
      },
      // synchronous writes: the lines before a crash or a SIGKILL are not lost in a buffer
      typeof destination === 'number'
        ? pino.destination({ dest: destination, sync: true })
        : destination,
    );
  }

  log(level: LogLevel, message: string, meta?: Record<string | symbol, unknown>): void {
    // The runtime hands lines over in batches (it merges the SDK's and Core's by time), each with
    // the time it was made, in nanoseconds.
    const nanos = meta?.[LogTimestamp];
    const time = typeof nanos === 'bigint' ? new Date(Number(nanos / 1_000_000n)) : new Date();
    const fields: Record<string, unknown> = { time: time.toISOString() };
    for (const [key, value] of Object.entries(meta ?? {})) {
      // the task token is an opaque blob of no use to a reader
      if (key === 'taskToken') continue;
      if (key === 'error' && value instanceof Error) fields.err = value;
      else fields[key] = value;
    }
    this.#pino[level.toLowerCase() as 'info'](fields, message);
  }

  trace(message: string, meta?: Record<string, unknown>): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: Record<string, unknown>): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: Record<string, unknown>): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: Record<string, unknown>): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: Record<string, unknown>): void {
    this.log('ERROR', message, meta);
  }
}

/** The worker's logger in the given format: JsonLogger on stdout, or the SDK's text lines on stderr. */
export function createLogger(format: LogFormat, level: LogLevel): Logger {
  return format === 'json' ? new JsonLogger(level) : new DefaultLogger(level);
}

/**
 * An activity interceptor that logs each attempt's start and completion through the activity's
 * logger (the runtime's logger with the SDK's attributes: workflowId, activityType, attempt,
 * taskQueue, activityId, ...). Failures the SDK logs itself ('Activity failed', at WARN). It lives
 * in the worker, not in the activities' code, so stage keys (fingerprints of that code) do not
 * change with it.
 */
export const logActivityAttempts: ActivityInterceptorsFactory = (ctx: Context) => ({
  inbound: {
    async execute(input, next) {
      const started = performance.now();
      // how long this attempt waited in the task queue for a worker
      const queuedMs = Date.now() - ctx.info.currentAttemptScheduledTimestampMs;
      ctx.log.info('activity started', { queuedMs });
      const result = await next(input);
      ctx.log.info('activity completed', { durationMs: Math.round(performance.now() - started) });
      return result;
    },
  },
});
