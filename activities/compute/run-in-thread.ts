import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../lib/input-error.ts';
import { cancellationSignal } from '../activity-context.ts';

const require = createRequire(import.meta.url);
// tsx's ESM API (its CommonJS build cannot register hooks from inside a thread)
const TSX_API = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
const ENTRY = new URL('./thread-main.ts', import.meta.url).href;
// The thread registers tsx itself: a worker's entry is resolved before --import hooks apply.
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY)}); });`;

/**
 * A pure computation that runs on its own thread: a module whose default export takes one
 * structured-clonable argument. Stage modules name it with `new URL('…', import.meta.url)`, so the
 * stage's code fingerprint covers the task's code.
 */
export interface ThreadTask<A, R> {
  readonly module: URL;
  /** Carries the types only. */
  readonly signature?: (args: A) => R;
}

export function threadTask<F extends (args: never) => unknown>(
  module: URL,
): ThreadTask<Parameters<F>[0], ReturnType<F>> {
  return { module };
}

let codeGuard: ((module: URL) => void) | undefined;

/**
 * Installs the check a worker runs before a thread loads code from disk: the thread must run the
 * code the worker fingerprinted at start-up, not an edit made since (it throws if they differ).
 */
export function guardThreadCode(guard: ((module: URL) => void) | undefined): void {
  codeGuard = guard;
}

/**
 * Runs a thread task and resolves with its result. The calling activity's event loop stays free,
 * so heartbeats and workflow tasks keep flowing during long fits. Errors come back with their
 * class and message, so failFastOnBadInput classes them as it would in the activity's thread.
 * When `signal` aborts (by default: the calling activity is cancelled) the thread is terminated
 * and the promise rejects with the signal's reason.
 */
export function runInThread<A, R>(
  task: ThreadTask<A, R>,
  args: A,
  signal: AbortSignal | undefined = cancellationSignal(),
): Promise<R> {
  codeGuard?.(task.module);
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted(); // rejects: no thread for a cancelled activity
    const worker = new Worker(BOOTSTRAP, { eval: true });
    let settled = false;
    const abort = () => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', abort, { once: true });
    worker.once('exit', () => signal?.removeEventListener('abort', abort));
    worker.once(
      'message',
      (
        m: { ok: true; result: R } | { ok: false; name: string; message: string; stack?: string },
      ) => {
        if (settled) return;
        settled = true;
        void worker.terminate();
        if (m.ok) return resolve(m.result);
        const error =
          m.name === 'RangeError'
            ? new RangeError(m.message)
            : m.name === 'InputError'
              ? new InputError(m.message)
              : new Error(m.message);
        if (m.stack) error.stack = m.stack;
        reject(error);
      },
    );
    worker.once('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(
          new Error(
            `compute thread for ${task.module.pathname} exited with code ${code} before answering`,
          ),
        );
    });
    worker.postMessage({ module: task.module.href, args });
  });
}
