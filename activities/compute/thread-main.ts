// Entry of a compute thread: runs one task of thread-tasks.ts per message and posts the result.
import { parentPort } from 'node:worker_threads';
import { threadTasks, type ThreadTasks } from './thread-tasks.ts';

parentPort!.on('message', (message: { task: keyof ThreadTasks; args: unknown }) => {
  try {
    const run = threadTasks[message.task] as (args: unknown) => unknown;
    parentPort!.postMessage({ ok: true, result: run(message.args) });
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ ok: false, name: e.name, message: e.message, stack: e.stack });
  }
});
