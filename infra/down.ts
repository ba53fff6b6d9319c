// npm run infra:down — stops the servers infra:up started, by their recorded process ids.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { endpointsFile, removeEnvFile } from './endpoints-file.ts';
import { clabHome } from './load-config.ts';
import { productionDown } from './production/stack.ts';
import { isRunning, stopPid } from './server-process.ts';

const home = clabHome();
for (const name of ['temporal', 'minio']) {
  const pidFile = join(home, 'infra', `${name}.pid`);
  if (!existsSync(pidFile)) {
    console.log(`[infra] ${name}: no pid file, nothing to stop`);
    continue;
  }
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (isRunning(pid)) {
    await stopPid(pid);
    console.log(`[infra] ${name}: stopped (pid ${pid})`);
  } else {
    console.log(`[infra] ${name}: pid ${pid} was not running`);
  }
  rmSync(pidFile, { force: true });
}
await productionDown(home, (line) => console.log(`[infra] ${line}`));
removeEnvFile(endpointsFile(home));
