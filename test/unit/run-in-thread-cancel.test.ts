// A cancelled compute thread stops computing: runInThread terminates it when its signal aborts.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runInThread, threadTask } from '../../activities/compute/run-in-thread.ts';

const spinTask = threadTask<(args: { counter: Int32Array }) => never>(
  new URL('../helpers/spin-task.ts', import.meta.url),
);

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

describe('runInThread cancellation', () => {
  it('terminates the thread and rejects with the signal reason when the signal aborts', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const controller = new AbortController();
    const running = runInThread(spinTask, { counter }, controller.signal);
    await until(() => Atomics.load(counter, 0) > 0, 30_000);
    const reason = new Error('cancelled by the test');
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    await sleep(200); // terminate() lands within a few ms
    const after = Atomics.load(counter, 0);
    await sleep(300);
    expect(Atomics.load(counter, 0)).toBe(after);
  }, 40_000);

  it('does not start a thread for an already aborted signal', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(runInThread(spinTask, { counter }, controller.signal)).rejects.toThrow('too late');
    await sleep(1500);
    expect(Atomics.load(counter, 0)).toBe(0);
  });
});
