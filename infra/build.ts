// npm run infra:build — makes sure both pinned server binaries exist (cached after the first build).
import { binaryVersion, resolveBinary, type ServerName } from './binaries.ts';
import { profileFromArgs } from './production/profile.ts';

for (const name of ['temporal', 'minio'] as ServerName[]) {
  const path = await resolveBinary(name, { log: (line) => console.log(`[infra] ${line}`) });
  if (!path) {
    console.error(
      `[infra] ${name}: no binary and no way to build one (install Go or set ${name === 'temporal' ? 'CLAB_TEMPORAL_BIN' : 'CLAB_MINIO_BIN'})`,
    );
    process.exit(1);
  }
  console.log(`[infra] ${name}: ${binaryVersion(path)}`);
}
if (profileFromArgs() === 'production') await import('./production/build.ts');
