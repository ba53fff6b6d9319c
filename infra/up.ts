// npm run infra:up — builds or reuses the Temporal and MinIO binaries, starts both on loopback
// (unless already running), creates the bucket and records the endpoints for the CLI and workers.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveBinary } from './binaries.ts';
import { endpointsFile, readEnvFile, writeEnvFile } from './endpoints-file.ts';
import { clabHome } from './load-config.ts';
import { ensureBucket, minioIsLive, startMinioServer } from './minio-server.ts';
import { ensureLocalTemporal } from './local-temporal.ts';
import { profileFromArgs } from './production/profile.ts';

if (profileFromArgs() === 'production') {
  await import('./production/up.ts');
  process.exit(0);
}

const env = process.env;
const home = clabHome(env);
const infraDir = join(home, 'infra');
mkdirSync(infraDir, { recursive: true });
const log = (line: string) => console.log(`[infra] ${line}`);

const port = (name: string, fallback: number) => Number(env[name] || fallback);
const temporalPort = port('CLAB_TEMPORAL_PORT', 7233);
const temporalUiPort = port('CLAB_TEMPORAL_UI_PORT', 8233);
const minioPort = port('CLAB_MINIO_PORT', 9000);
const minioConsolePort = port('CLAB_MINIO_CONSOLE_PORT', 9001);
const bucket = env.CLAB_BUCKET || 'clab';

const temporalBin = await resolveBinary('temporal', { log });
const minioBin = await resolveBinary('minio', { log });
if (!temporalBin || !minioBin) {
  console.error(
    '[infra] cannot start: install Go (to build the pinned servers) or set CLAB_TEMPORAL_BIN / CLAB_MINIO_BIN',
  );
  process.exit(1);
}

const { address: temporalAddress, started } = await ensureLocalTemporal({
  home,
  port: temporalPort,
  uiPort: temporalUiPort,
  log,
});
if (!started) log(`Temporal already answers at ${temporalAddress}`);

const credentials = minioCredentials();
const minioEndpoint = `http://127.0.0.1:${minioPort}`;
if (await minioIsLive(minioEndpoint)) {
  log(`MinIO already answers at ${minioEndpoint}`);
} else {
  log(`starting MinIO (data ${join(infraDir, 'minio-data')})...`);
  const proc = await startMinioServer({
    bin: minioBin,
    port: minioPort,
    consolePort: minioConsolePort,
    dataDir: join(infraDir, 'minio-data'),
    logFile: join(infraDir, 'minio.log'),
    ...credentials,
    detached: true,
  });
  writeFileSync(join(infraDir, 'minio.pid'), String(proc.pid));
}
await ensureBucket(minioEndpoint, bucket, credentials.accessKey, credentials.secretKey);

writeEnvFile(endpointsFile(home), {
  CLAB_TEMPORAL_ADDRESS: temporalAddress,
  CLAB_STORE: `s3://${bucket}`,
  CLAB_S3_ENDPOINT: minioEndpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: credentials.accessKey,
  AWS_SECRET_ACCESS_KEY: credentials.secretKey,
});

console.log(`
Temporal     ${temporalAddress}   (namespace default)
Temporal UI  http://127.0.0.1:${temporalUiPort}
MinIO (S3)   ${minioEndpoint}   bucket ${bucket}
MinIO UI     http://127.0.0.1:${minioConsolePort}
Logs         ${infraDir}/{temporal,minio}.log
clab commands now use these servers (recorded in ${endpointsFile(home)}); stop them with npm run infra:down`);

/** MINIO_ROOT_USER/PASSWORD from the environment, else a pair generated once and kept (mode 600). */
function minioCredentials(): { accessKey: string; secretKey: string } {
  if (env.MINIO_ROOT_USER && env.MINIO_ROOT_PASSWORD)
    return { accessKey: env.MINIO_ROOT_USER, secretKey: env.MINIO_ROOT_PASSWORD };
  const file = join(infraDir, 'minio-credentials.env');
  const saved = readEnvFile(file);
  if (saved.MINIO_ROOT_USER && saved.MINIO_ROOT_PASSWORD)
    return { accessKey: saved.MINIO_ROOT_USER, secretKey: saved.MINIO_ROOT_PASSWORD };
  const generated = {
    MINIO_ROOT_USER: `clab-${randomBytes(4).toString('hex')}`,
    MINIO_ROOT_PASSWORD: randomBytes(18).toString('base64url'),
  };
  writeEnvFile(file, generated);
  log(`generated MinIO credentials in ${file}`);
  return { accessKey: generated.MINIO_ROOT_USER, secretKey: generated.MINIO_ROOT_PASSWORD };
}
