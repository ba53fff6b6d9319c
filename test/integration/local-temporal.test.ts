// The local Temporal server that `npm run infra:up` and `npm run demo` share: started once on its
// persistent database under CLAB_HOME (pid recorded for infra:down), reused while it answers, and
// a run started before a restart is still there after it: one history for the demo and the CLI.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../infra/free-port.ts';
import { ensureLocalTemporal, localTemporalDb } from '../../infra/local-temporal.ts';
import { isRunning, stopPid } from '../../infra/server-process.ts';
import { testClient } from '../helpers/stack.ts';

describe('the local Temporal server', () => {
  it('starts on the persistent database, is reused while it answers, and keeps runs across a restart', async () => {
    const home = mkdtempSync(join(tmpdir(), 'clab-local-temporal-'));
    const opts = { home, port: await freePort(), uiPort: await freePort(), log: () => {} };
    const pidFile = join(home, 'infra', 'temporal.pid');
    const pid = () => Number(readFileSync(pidFile, 'utf8'));
    try {
      const first = await ensureLocalTemporal(opts);
      expect(first).toEqual({
        address: `127.0.0.1:${opts.port}`,
        started: true,
        dbFile: localTemporalDb(home),
      });
      expect(existsSync(first.dbFile)).toBe(true);
      expect(isRunning(pid())).toBe(true);
      const firstPid = pid();
      expect((await ensureLocalTemporal(opts)).started).toBe(false);
      expect(pid()).toBe(firstPid);

      // a run (no worker needed) survives a restart: the database is the state
      const workflowId = `local-temporal-${Date.now()}`;
      let client = await testClient(first.address);
      await client.workflow.start('anyWorkflow', { taskQueue: 'nobody', workflowId });
      await client.connection.close();
      await stopPid(firstPid);
      expect((await ensureLocalTemporal(opts)).started).toBe(true);
      client = await testClient(first.address);
      const ids: string[] = [];
      for await (const run of client.workflow.list()) ids.push(run.workflowId);
      expect(ids).toContain(workflowId);
      await client.workflow.getHandle(workflowId).terminate('test done');
      await client.connection.close();
    } finally {
      if (existsSync(pidFile) && isRunning(pid())) await stopPid(pid());
    }
  }, 120_000);
});
