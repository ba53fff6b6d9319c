// npm run infra:build -- --profile production: the production profile's temporal-server and
// temporal-sql-tool (cached after the first build), besides the dev profile's binaries.
import { binaryVersion } from '../binaries.ts';
import { resolveTemporalServer } from './server-build.ts';

const build = await resolveTemporalServer({ log: (line) => console.log(`[infra] ${line}`) });
if (!build) {
  console.error('[infra] temporal-server: no build and no way to make one (install Go)');
  process.exit(1);
}
console.log(`[infra] temporal-server: ${binaryVersion(build.server)}`);
