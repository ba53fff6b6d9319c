import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `infra:up` writes the endpoints (and MinIO's credentials) of the servers it started to
 * `$CLAB_HOME/infra/endpoints.env`, readable by its owner only; `infra:down` removes it. While it
 * exists, the CLI and workers use those servers unless the environment says otherwise.
 */
export function endpointsFile(home: string): string {
  return join(home, 'infra', 'endpoints.env');
}

export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

export function writeEnvFile(path: string, values: Record<string, string>): void {
  mkdirSync(dirname(path), { recursive: true });
  const text =
    Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n';
  writeFileSync(path, text, { mode: 0o600 });
}

export function removeEnvFile(path: string): void {
  rmSync(path, { force: true });
}
