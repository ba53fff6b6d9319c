import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InputError } from '../lib/input-error.ts';
import { parseTrainerLine, TextTail, type TrainerEvent } from '../lib/trainer/trainer-events.ts';

/** Where `python -m trainers.<name>` finds the trainers package. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const TRAINERS = ['ddpm', 'classifier', 'copy-detection'] as const;
export type TrainerName = (typeof TRAINERS)[number];

/** The Python module of a trainer: `trainers.<name>` with hyphens as underscores. */
export function trainerModule(name: string): string {
  return `trainers.${name.replaceAll('-', '_')}`;
}

export interface TrainerRun {
  python: string;
  trainer: TrainerName;
  dataDir: string;
  outDir: string;
  config: Record<string, unknown>;
  resume?: string;
  /** Called for every event, in order; a returned promise is awaited before the next event. */
  onEvent: (event: TrainerEvent) => void | Promise<void>;
  signal?: AbortSignal;
}

/** The trainer rejected its config or data (exit code 2): retrying cannot help. */
export class TrainerConfigError extends InputError {
  override name = 'TrainerConfigError';
}

/** The trainer failed otherwise (a crash, a signal, a missing `done`): a retry may succeed. */
export class TrainerCrashError extends Error {
  override name = 'TrainerCrashError';
}

/**
 * Runs one trainer process under the contract: reads its JSON lines, keeps the tail of its stderr
 * for error reports, kills it when `signal` aborts, and resolves with its `done` event.
 */
export async function runTrainer(
  run: TrainerRun,
): Promise<Extract<TrainerEvent, { event: 'done' }>> {
  await access(run.python, constants.X_OK).catch(() => {
    throw new InputError(
      `The trainer interpreter ${run.python} does not exist or cannot run: run \`npm run setup:trainers\` or set CLAB_PYTHON`,
    );
  });
  const module = trainerModule(run.trainer);
  const args = ['-m', module, '--data', run.dataDir, '--out', run.outDir];
  args.push('--config', JSON.stringify(run.config));
  if (run.resume) args.push('--resume', run.resume);
  const child = spawn(run.python, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = new TextTail();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );

  const kill = () => {
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000).unref();
  };
  run.signal?.addEventListener('abort', kill, { once: true });

  let done: Extract<TrainerEvent, { event: 'done' }> | undefined;
  let reported: Extract<TrainerEvent, { event: 'error' }> | undefined;
  try {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      const event = parseTrainerLine(line);
      if (!event) continue;
      if (event.event === 'done') done = event;
      if (event.event === 'error') reported = event;
      await run.onEvent(event);
    }
  } catch (error) {
    kill();
    await exited.catch(() => undefined);
    throw error;
  } finally {
    run.signal?.removeEventListener('abort', kill);
  }
  const { code, signal } = await exited;
  const what = `trainer ${run.trainer} (${run.python} -m ${module})`;
  const tail = stderr.toString().trimEnd();
  const details = tail ? `\n--- last lines of its stderr ---\n${tail}` : '';
  if (run.signal?.aborted)
    throw new TrainerCrashError(`${what} was stopped: the activity was cancelled`);
  if (code === 2)
    throw new TrainerConfigError(
      `${what} rejected its input: ${reported?.message ?? 'exit code 2'}${details}`,
    );
  if (code !== 0 || !done) {
    const how = signal
      ? `was killed by ${signal}`
      : code !== 0
        ? `exited with code ${code}`
        : 'exited without a done event';
    throw new TrainerCrashError(
      `${what} ${how}${reported ? `: ${reported.message}` : ''}${details}`,
    );
  }
  return done;
}
