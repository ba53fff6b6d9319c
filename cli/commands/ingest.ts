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
      "a built-in dataset: fashion-mnist (read from Debian's dataset-fashion-mnist)",
    )
    .option('--split <split>', 'train or test (with --dataset)', 'train')
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
      const label =
        source.kind === 'fashion-mnist'
          ? `fashion-mnist-${source.split}`
          : (source.name ?? 'folder');
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

function sourceFrom(opts: IngestOptions): SourceSpec {
  if (opts.dir && opts.dataset) throw new Error('Give either --dataset or --dir, not both');
  if (opts.dir)
    return { kind: 'image-folder', dir: opts.dir, ...(opts.name ? { name: opts.name } : {}) };
  if (opts.dataset !== 'fashion-mnist') {
    throw new Error(
      `Expected --dataset to be fashion-mnist (or use --dir for an ImageFolder), got \`${opts.dataset ?? ''}\``,
    );
  }
  if (opts.split !== 'train' && opts.split !== 'test')
    throw new Error(`Expected --split to be train or test, got \`${opts.split}\``);
  return { kind: 'fashion-mnist', split: opts.split };
}
