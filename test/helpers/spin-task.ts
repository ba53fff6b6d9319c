// A compute-thread task that never returns: it counts in shared memory until its thread is
// terminated, so that a test sees whether the thread still runs.
export default function spin({ counter }: { counter: Int32Array }): never {
  for (;;) Atomics.add(counter, 0, 1);
}
