// Vitest global setup: a real Temporal dev server and a real MinIO on free loopback ports, from the
// cached (or freshly built) pinned binaries, shared by every test file and stopped after the run.
import type { TestProject } from 'vitest/node';
import { startEphemeralStack } from '../../infra/ephemeral-stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalBin: string;
    s3: { endpoint: string; bucket: string; accessKey: string; secretKey: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startEphemeralStack((line) => console.log(`[test servers] ${line}`));
  project.provide('temporalAddress', stack.temporalAddress);
  project.provide('temporalBin', stack.temporalBin);
  project.provide('s3', stack.s3);
  return () => stack.stop();
}
