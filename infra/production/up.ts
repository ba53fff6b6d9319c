// npm run infra:up -- --profile production: the Temporal server (built from go.temporal.io/server)
// on PostgreSQL with SQL visibility, and MinIO erasure-coded over 4 drives; see infra/production/README.md.
import { endpointsFile, writeEnvFile } from '../endpoints-file.ts';
import { clabHome } from '../load-config.ts';
import { productionUp } from './stack.ts';

const home = clabHome();
const log = (line: string) => console.log(`[infra production] ${line}`);
const up = await productionUp({ home, log });
writeEnvFile(endpointsFile(home), up.env);

console.log(`
Temporal     ${up.temporalAddress}   (temporal-server, namespace ${up.namespace}, PostgreSQL visibility)
PostgreSQL   127.0.0.1:${up.postgresPort}   databases temporal, temporal_visibility
MinIO (S3)   ${up.minioEndpoint}   bucket ${up.bucket}, erasure-coded over 4 drives
Files        ${up.dir}   (logs: {postgres,temporal,minio}.log)
clab commands now use these servers (recorded in ${endpointsFile(home)}); stop them with npm run infra:down`);
