import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import type { OnnxInputSpec } from '../../activities/onnx-embedding.ts';
import { InputError } from '../../lib/input-error.ts';
import type { ArtifactStore } from '../../lib/storage/artifact-store.ts';
import { page, paragraph, section, withCode } from '../../lib/report/html.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import { getJson } from '../../lib/storage/json-artifacts.ts';
import type { ReplicaAuditReport } from '../../lib/studies/replication-result.ts';
import {
  replicaAudit,
  type AuditEmbeddingChoice,
  type AuditedSet,
} from '../../workflows/replica-audit.ts';
import { writeAuditSection } from '../replica-audit-section.ts';
import { connectClient } from '../temporal-client.ts';
import { defaultReportDir } from '../write-report.ts';

interface ReplicasOptions {
  generated: string;
  train: string;
  heldOut?: string;
  embedding: string;
  split?: string;
  topK: string;
  threshold: string;
  percentile: string;
  trainerConfig?: string;
  onnxSpec?: string;
  seed: string;
  json?: boolean;
  reportDir?: string;
  workflowId?: string;
}

const DIGEST = /^[0-9a-f]{64}$/;

export function registerReplicas(program: Command): void {
  program
    .command('replicas')
    .description(
      'Audit a generated image set for copies of a training set (Somepalli et al. 2023): rate, threshold, flagged pairs and a report',
    )
    .requiredOption(
      '--generated <dir|digest>',
      'generated images: a folder (flat or one sub-folder per class) or a dataset digest',
    )
    .requiredOption(
      '--train <dir|digest>',
      'training images: an ImageFolder directory or a dataset digest',
    )
    .option(
      '--held-out <dir|digest>',
      'real images never trained on, to calibrate the threshold (default: leave one out on --train)',
    )
    .option(
      '--embedding <kind>',
      'pixels (normalised L2, tiled L2, nearest-neighbour ratio), copy (a copy-detection embedding trained here on --train), cnn (a classifier trained here on --train\u2019s classes), the digest of a stored embedding, or your own model FILE.onnx (with --onnx-spec)',
      'pixels',
    )
    .option(
      '--onnx-spec <file>',
      'with --embedding FILE.onnx: JSON {input: {name, width, height, channels, scale, mean, std}, output} (x = (pixel * scale - mean[c]) / std[c])',
    )
    .option('--split <k>', 'also the split-product score with k chunks (embeddings only)')
    .option('--top-k <k>', 'training matches kept per generated image', '20')
    .option('--threshold <auto|x>', 'auto: calibrated; or a value for the first score', 'auto')
    .option('--percentile <q>', 'the calibrated threshold: this percentile of real scores', '99.9')
    .option('--trainer-config <json>', 'settings of the trainer of --embedding copy or cnn', '{}')
    .option('--seed <n>', 'seed of the gallery draw and any embedding training', '0')
    .option('--json', 'print one JSON object (rate, threshold, distinctMatches, flagged, ...)')
    .option('--report-dir <dir>', 'where to write the report (default: under $CLAB_HOME/reports)')
    .option('--workflow-id <id>', 'workflow id (default: replicas-<time>)')
    .action(async (opts: ReplicasOptions) => {
      const config = loadConfig();
      const store = openStore(config.store);
      const client = await connectClient(config);
      const workflowId = opts.workflowId ?? `replicas-${Date.now().toString(36)}`;
      const threshold =
        opts.threshold === 'auto' ? undefined : number(opts.threshold, '--threshold');
      const handle = await client.workflow.start(replicaAudit, {
        taskQueue: config.queues.cpu,
        workflowId,
        args: [
          {
            generated: auditedSet(opts.generated, '--generated'),
            train: auditedSet(opts.train, '--train'),
            ...(opts.heldOut ? { heldOut: auditedSet(opts.heldOut, '--held-out') } : {}),
            embedding: await embeddingChoice(opts, store),
            audit: {
              topK: whole(opts.topK, '--top-k'),
              ...(opts.split ? { split: whole(opts.split, '--split') } : {}),
              percentile: number(opts.percentile, '--percentile'),
              gallery: { top: 20, random: 20, matches: 5 },
            },
            ...(threshold !== undefined ? { threshold } : {}),
            seed: whole(opts.seed, '--seed'),
            cpuQueue: config.queues.cpu,
            gpuQueue: config.queues.gpu,
            store: store.location,
          },
        ],
      });
      console.error(`started ${workflowId}`);
      const result = await handle.result();
      const report = await getJson<ReplicaAuditReport>(store, result.audit);
      const first = report.summaries[0]!;
      const flagged = (report.flagged[first.score] ?? []).map((f) => ({
        generated: report.generated.sources[f.generated] ?? `#${f.generated}`,
        train: report.train.sources[f.train] ?? `#${f.train}`,
        score: f.score,
      }));

      const dir = opts.reportDir ?? defaultReportDir(config.home, workflowId);
      mkdirSync(dir, { recursive: true });
      const audit = await writeAuditSection(
        report,
        result.audit,
        result.gallery,
        store,
        dir,
        'audit',
      );
      const title = `Replica audit ${workflowId}`;
      writeFileSync(
        join(dir, 'index.html'),
        page(
          title,
          paragraph(withCode(`Workflow \`${workflowId}\`.`)),
          section('Audit', audit.html),
        ),
      );
      writeFileSync(join(dir, 'report.md'), `# ${title}\n\n${audit.md}\n`);

      if (opts.json) {
        console.log(
          JSON.stringify({
            workflowId,
            embedding: report.embedding,
            score: first.score,
            direction: first.direction,
            rate: first.rate,
            threshold: first.threshold,
            calibratedBy: first.calibratedBy,
            distinctMatches: first.distinctMatches,
            flagged,
            scores: report.summaries,
            audit: result.audit,
            generated: result.generated,
            train: result.train,
            report: join(dir, 'index.html'),
          }),
        );
        return;
      }
      for (const s of report.summaries)
        console.log(
          `${s.score}: ${(100 * s.rate).toFixed(2)}% of ${report.generated.count} generated images ${s.direction === 'higher-is-copy' ? 'above' : 'below'} ${s.threshold.toFixed(4)} (${s.calibratedBy === 'user' ? 'given' : `calibrated, ${s.calibratedBy}`}); ${s.distinctMatches} distinct training images matched`,
        );
      for (const f of flagged.slice(0, 10))
        console.log(`  ${f.generated}  ~  ${f.train}  (${first.score} ${f.score.toFixed(4)})`);
      if (flagged.length > 10) console.log(`  ... ${flagged.length - 10} more in the report`);
      console.error(`report: ${join(dir, 'index.html')}`);
    });
}

/** A folder (ingested as an ImageFolder) or a dataset digest. */
function auditedSet(value: string, option: string): AuditedSet {
  if (DIGEST.test(value)) return { dataset: value };
  const dir = resolve(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(`${option} ${value}: not a directory and not a dataset digest`);
  return { source: { kind: 'image-folder', dir } };
}

async function embeddingChoice(
  opts: ReplicasOptions,
  store: ArtifactStore,
): Promise<AuditEmbeddingChoice> {
  const e = opts.embedding;
  if (e === 'pixels') return { kind: 'pixels' };
  if (e.endsWith('.onnx')) return onnxEmbedding(e, opts.onnxSpec, store);
  if (DIGEST.test(e)) return { kind: 'stored', digest: e, queue: 'gpu' };
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(opts.trainerConfig ?? '{}') as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`--trainer-config: not JSON (${(error as Error).message})`);
  }
  if (e === 'copy') return { kind: 'copy', config };
  if (e === 'cnn') return { kind: 'cnn', config };
  throw new InputError(
    `--embedding ${e}: expected pixels, copy, cnn, the digest of a stored embedding or a FILE.onnx`,
  );
}

/** The user's ONNX model, stored by digest, with its input spec and output from --onnx-spec. */
async function onnxEmbedding(
  file: string,
  specFile: string | undefined,
  store: ArtifactStore,
): Promise<AuditEmbeddingChoice> {
  if (!specFile)
    throw new InputError(
      `--embedding ${file} needs --onnx-spec FILE.json: {input: {name, width, height, channels, scale, mean, std}, output}`,
    );
  let spec: { input?: OnnxInputSpec; output?: string };
  let bytes: Buffer;
  try {
    spec = JSON.parse(readFileSync(specFile, 'utf8')) as typeof spec;
    bytes = readFileSync(file);
  } catch (error) {
    throw new InputError(
      `--embedding ${file} / --onnx-spec ${specFile}: ${(error as Error).message}`,
    );
  }
  if (!spec.input || typeof spec.output !== 'string')
    throw new InputError(
      `--onnx-spec ${specFile}: expected {input: {...}, output: "<output name>"}`,
    );
  const { digest } = await store.put(bytes);
  return {
    kind: 'onnx',
    name: basename(file, '.onnx'),
    onnx: digest,
    input: spec.input,
    output: spec.output,
  };
}

function number(value: string, option: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InputError(`${option}: expected a number, got \`${value}\``);
  return n;
}

function whole(value: string, option: string): number {
  const n = number(value, option);
  if (!Number.isInteger(n) || n < 0)
    throw new InputError(`${option}: expected a whole number, got \`${value}\``);
  return n;
}
