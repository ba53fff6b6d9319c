// Entry of a compute thread: imports the task module named in the message, runs its default
// export on the arguments and posts the result (or the error's class and message).
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', (message: { module: string; args: unknown }) => {
  void run(message);
});

async function run(message: { module: string; args: unknown }): Promise<void> {
  try {
    const task = (await import(message.module)) as { default: (args: unknown) => unknown };
    parentPort!.postMessage({ ok: true, result: await task.default(message.args) });
  } catch (error) {
    const e = error as Error;
    parentPort!.postMessage({ ok: false, name: e.name, message: e.message, stack: e.stack });
  }
}
