import type { Command } from 'commander';
import { loadConfig } from '../../infra/load-config.ts';
import { openStore } from '../../lib/storage/open-store.ts';
import type { SourceSpec } from '../../lib/datasets/source.ts';
import { DEFAULT_SHARD_SIZE, ingestDataset } from '../../workflows/ingest-dataset.ts';
import { followIngest } from '../follow-ingest.ts';
import { connectClient } from '../temporal-client.ts';

interface IngestOptions {
  dataset?: string;
  split: string;
  dir?: string;
  name?: string;
  resize?: string;
  shardSize: string;
  detach?: boolean;
  workflowId?: string;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(
      'Ingest a dataset into content-addressed WebDataset shards and print the manifest digest',
    )
    .option(
      '--dataset <name>',
      "a built-in dataset: fashion-mnist (Debian's dataset-fashion-mnist), opencv-digits (opencv-doc's digits.png) or sklearn-digits (python3-sklearn's digits.csv.gz)",
    )
    .option('--split <split>', 'train or test (with --dataset fashion-mnist)', 'train')
    .option(
      '--resize <WxH>',
      "resize every image, e.g. 28x28 (with --dataset opencv-digits or sklearn-digits; sharp's cubic kernel)",
    )
    .option(
      '--dir <path>',
      'an ImageFolder directory (one sub-folder per class) instead of --dataset',
    )
    .option(
      '--name <name>',
      'dataset name recorded in the manifest (with --dir; default: the folder name)',
    )
    .option('--shard-size <n>', 'images per shard', String(DEFAULT_SHARD_SIZE))
    .option('--workflow-id <id>', 'workflow id (default: ingest-<dataset>-<time>)')
    .option('--detach', 'start the workflow and print its id without waiting')
    .action(async (opts: IngestOptions) => {
      const source = sourceFrom(opts);
      const shardSize = Number(opts.shardSize);
      if (!Number.isInteger(shardSize) || shardSize < 1) {
        throw new Error(
          `Expected --shard-size to be a whole number from 1 and up, got \`${opts.shardSize}\``,
        );
      }
      const config = loadConfig();
      const client = await connectClient(config);
      const label = workflowLabel(source);
      const workflowId = opts.workflowId ?? `ingest-${label}-${Date.now().toString(36)}`;
      const handle = await client.workflow.start(ingestDataset, {
        taskQueue: config.queues.cpu,
        workflowId,
        args: [
          {
            source,
            shardSize,
            cpuQueue: config.queues.cpu,
            store: openStore(config.store).location,
          },
        ],
      });
      console.error(`started workflow ${workflowId} on queue ${config.queues.cpu}`);
      if (opts.detach) {
        console.log(workflowId);
        return;
      }
      const manifest = await followIngest(handle);
      console.error(
        `${manifest.name}: ${manifest.count} images in ${manifest.shards} shards, manifest ${manifest.key}`,
      );
      console.log(manifest.digest);
    });
}

export function sourceFrom(opts: IngestOptions): SourceSpec {
  if (opts.dir && opts.dataset) throw new Error('Give either --dataset or --dir, not both');
  const { dataset } = opts;
  const digits = dataset === 'opencv-digits' || dataset === 'sklearn-digits';
  if (opts.resize !== undefined && !digits)
    throw new Error('--resize applies to --dataset opencv-digits or sklearn-digits');
  if (opts.dir)
    return { kind: 'image-folder', dir: opts.dir, ...(opts.name ? { name: opts.name } : {}) };
  if (digits) {
    const resize = opts.resize === undefined ? undefined : parseSize(opts.resize);
    return { kind: dataset, ...(resize ? { resize } : {}) };
  }
  if (opts.dataset !== 'fashion-mnist') {
    throw new Error(
      `Expected --dataset to be fashion-mnist, opencv-digits or sklearn-digits (or use --dir for an ImageFolder), got \`${opts.dataset ?? ''}\``,
    );
  }
  if (opts.split !== 'train' && opts.split !== 'test')
    throw new Error(`Expected --split to be train or test, got \`${opts.split}\``);
  return { kind: 'fashion-mnist', split: opts.split };
}

/** `28x28` -> { width: 28, height: 28 }. */
function parseSize(text: string): { width: number; height: number } {
  const match = /^([1-9][0-9]*)x([1-9][0-9]*)$/.exec(text);
  if (!match) throw new Error(`Expected --resize to be WIDTHxHEIGHT, e.g. 28x28, got \`${text}\``);
  return { width: Number(match[1]), height: Number(match[2]) };
}

function workflowLabel(source: SourceSpec): string {
  switch (source.kind) {
    case 'fashion-mnist':
      return `fashion-mnist-${source.split}`;
    case 'image-folder':
      return source.name ?? 'folder';
    case 'opencv-digits':
    case 'sklearn-digits':
      return source.resize
        ? `${source.kind}-${source.resize.width}x${source.resize.height}`
        : source.kind;
  }
}
