import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
    // Starts a real Temporal dev server and a real MinIO for the whole run (test/setup/servers.ts).
    globalSetup: ['test/setup/servers.ts'],
    // Integration tests drive servers and worker processes on a 2-core machine: one file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
