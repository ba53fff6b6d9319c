import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLAB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'clab.mjs');

/** Starts `clab worker` as a separate process (so that a test can SIGKILL it), logging to a file. */
export function spawnWorker(env: Record<string, string>, logFile: string): ChildProcess {
  const child = spawn(process.execPath, [CLAB, 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
