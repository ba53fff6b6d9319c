import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../lib/input-error.ts';
import type { ThreadTasks } from './thread-tasks.ts';

const require = createRequire(import.meta.url);
// tsx's ESM API (its CommonJS build cannot register hooks from inside a thread)
const TSX_API = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
const ENTRY = new URL('./thread-main.ts', import.meta.url).href;
// The thread registers tsx itself: a worker's entry is resolved before --import hooks apply.
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY)}); });`;

/**
 * Runs a pure computation on its own worker thread and resolves with its result. The calling
 * activity's event loop stays free, so heartbeats and workflow tasks keep flowing during long
 * fits. Errors come back with their class (RangeError and InputError stay non-retryable).
 */
export function runInThread<K extends keyof ThreadTasks>(
  task: K,
  args: Parameters<ThreadTasks[K]>[0],
): Promise<ReturnType<ThreadTasks[K]>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, { eval: true });
    let settled = false;
    worker.once(
      'message',
      (
        m:
          | { ok: true; result: ReturnType<ThreadTasks[K]> }
          | { ok: false; name: string; message: string; stack?: string },
      ) => {
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
      if (!settled) reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(new Error(`compute thread for ${task} exited with code ${code} before answering`));
    });
    worker.postMessage({ task, args });
  });
}
