import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartedProcess {
  pid: number;
  child: ChildProcess;
  logFile: string;
}

/**
 * Spawns a server with its output appended to `logFile`. `detached` servers outlive this process
 * (infra:up); attached ones are children to stop when done (tests).
 */
export function spawnServer(
  bin: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; logFile: string; detached: boolean },
): StartedProcess {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(bin, args, {
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: opts.detached,
    });
    if (child.pid === undefined) throw new Error(`could not start ${bin}`);
    if (opts.detached) child.unref();
    return { pid: child.pid, child, logFile: opts.logFile };
  } finally {
    closeSync(fd);
  }
}

/** Polls `check` until it resolves true, failing early (with the log's tail) if the process exits. */
export async function waitUntilHealthy(
  what: string,
  check: () => Promise<boolean>,
  proc: StartedProcess,
  timeoutMs = 90_000,
): Promise<void> {
  let exited: number | null | undefined;
  const onExit = (code: number | null) => (exited = code);
  proc.child.once('exit', onExit);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited !== undefined)
        throw new Error(
          `${what} exited (code ${exited}) before it became healthy:\n${logTail(proc.logFile)}`,
        );
      if (await check().catch(() => false)) return;
      await sleep(250);
    }
    throw new Error(
      `${what} did not become healthy within ${timeoutMs / 1000} s:\n${logTail(proc.logFile)}`,
    );
  } finally {
    proc.child.off('exit', onExit);
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return;
    await sleep(100);
  }
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
}

/** Stops a child process and waits for its exit event (so its resources are released). */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function logTail(logFile: string, lines = 20): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
