import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { configFromEnv, type ClabConfig } from '../lib/config.ts';
import { endpointsFile, readEnvFile } from './endpoints-file.ts';

export function clabHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAB_HOME ? resolve(env.CLAB_HOME) : join(homedir(), '.contamination-lab');
}

/** The process environment over the endpoints `infra:up` recorded, over the embedded defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ClabConfig {
  const fromInfra = readEnvFile(endpointsFile(clabHome(env)));
  return configFromEnv({ ...fromInfra, ...env });
}
