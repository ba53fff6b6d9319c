import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import { assertSha256, type Sha256 } from '../../lib/digest.ts';
import type { DatasetManifest } from '../../lib/datasets/manifest.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { getJson, getJsonRecord } from '../../lib/storage/json-artifacts.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import type { StageRecord } from '../../lib/studies/stage.ts';

export function registerLineage(program: Command): void {
  program
    .command('lineage')
    .description(
      'The chain of stages and inputs that produced an artifact, back to the raw dataset',
    )
    .argument('<digest>', 'an artifact digest (sha256, 64 hex characters)')
    .action(async (digest: string) => {
      assertSha256(digest, 'the artifact digest');
      const store = openStore(loadConfig().store);
      for (const line of await lineage(store, digest)) console.log(line);
    });
}

/** Lines of an indented tree: artifact <- stage (params, run) <- its inputs, recursively. */
export async function lineage(
  store: ArtifactStore,
  digest: Sha256,
  depth = 0,
  seen = new Set<string>(),
): Promise<string[]> {
  const pad = '  '.repeat(depth);
  const link = await getJsonRecord<{ stage: string }>(store, `produced-by/${digest}`);
  if (!link) return [`${pad}sha256:${digest} ${await describeRaw(store, digest)}`];
  const record = await getJsonRecord<StageRecord>(store, `stages/${link.stage}`);
  if (!record) return [`${pad}sha256:${digest} <- stage ${link.stage} (its record is missing)`];
  const output = Object.entries(record.outputs).find(([, d]) => d === digest)?.[0] ?? 'output';
  const lines = [
    `${pad}sha256:${digest} = ${output} of ${record.name} [stage ${record.key.slice(0, 12)}, ${record.workflowId}, code ${record.codeVersion}] ${JSON.stringify(record.params)}`,
  ];
  if (seen.has(record.key)) return [...lines.slice(0, 1).map((l) => `${l} (see above)`)];
  seen.add(record.key);
  for (const [name, input] of Object.entries(record.inputs)) {
    const sub = await lineage(store, input, depth + 2, seen);
    lines.push(`${pad}  <- ${name}:`, ...sub);
  }
  return lines;
}

async function describeRaw(store: ArtifactStore, digest: Sha256): Promise<string> {
  try {
    const manifest = await getJson<DatasetManifest>(store, digest);
    if (manifest.format === 'clab.dataset-manifest/v1')
      return `(dataset ${manifest.name}, ${manifest.count} images, source ${manifest.source.kind}${manifest.source.indexDigest ? ` index sha256:${manifest.source.indexDigest}` : ''})`;
  } catch {
    // not a JSON artifact
  }
  return '(no producing stage recorded)';
}
