import { describe, expect, it } from 'vitest';
import type { ShardRecord } from '../../lib/datasets/manifest.ts';
import type { TrainProgress } from '../../activities/train.ts';
import type { IngestProgress } from '../../workflows/ingest-dataset.ts';
import {
  ingestProgressText,
  runningStagesText,
  stageProgressText,
  withStageProgress,
} from '../../cli/stage-progress.ts';

/** A finished shard as generate heartbeats it (only `count` matters here). */
function shard(index: number, count: number): ShardRecord {
  return {
    index,
    key: `shards/${index}.tar`,
    sha256: 'ab'.repeat(32) as ShardRecord['sha256'],
    bytes: 1000,
    count,
    firstSample: index * 500,
    classHistogram: [count],
  };
}

const GARBAGE: unknown[] = [
  undefined,
  null,
  0,
  42,
  'step 5',
  true,
  [],
  [{ step: 5 }],
  {},
  { unrelated: 1 },
];

describe('stageProgressText', () => {
  it('train: step, loss, and the total when the details carry one', () => {
    const details: TrainProgress & { failures: number } = {
      step: 1200,
      loss: 0.031234,
      checkpoint: 'cd'.repeat(32) as TrainProgress['checkpoint'],
      checkpointStep: 1000,
      failures: 0,
    };
    expect(stageProgressText('train', details)).toBe('train step 1200 loss 0.0312');
    expect(stageProgressText('train', { ...details, steps: 5000 })).toBe(
      'train step 1200/5000 loss 0.0312',
    );
    expect(stageProgressText('train', { step: 0 })).toBe('train step 0');
    expect(stageProgressText('train', { step: 7, loss: 1.23456 })).toBe('train step 7 loss 1.23');
    expect(stageProgressText('train', { step: 7, loss: 0 })).toBe('train step 7 loss 0');
  });

  it('train: unusable fields are left out, no step gives nothing', () => {
    expect(stageProgressText('train', { step: 3, loss: 'low' })).toBe('train step 3');
    expect(stageProgressText('train', { step: 3, loss: Number.NaN })).toBe('train step 3');
    expect(stageProgressText('train', { step: 3, steps: 0 })).toBe('train step 3');
    expect(stageProgressText('train', { step: 3, steps: '10' })).toBe('train step 3');
    expect(stageProgressText('train', { loss: 0.5, checkpointStep: 100 })).toBe('');
    expect(stageProgressText('train', { step: -1 })).toBe('');
    expect(stageProgressText('train', { step: 1.5 })).toBe('');
    expect(stageProgressText('train', { step: '1200' })).toBe('');
  });

  it('generate: images and shards finished so far', () => {
    expect(
      stageProgressText('generate', { shards: [shard(0, 500), shard(1, 500)], failures: 1 }),
    ).toBe('generate 1,000 images (2 shards)');
    expect(stageProgressText('generate', { shards: [shard(3, 250)] })).toBe(
      'generate 250 images (1 shard)',
    );
    const many = Array.from({ length: 20 }, (_, i) => shard(i, 500));
    expect(stageProgressText('generate', { shards: many })).toBe(
      'generate 10,000 images (20 shards)',
    );
    expect(stageProgressText('generate', { shards: [] })).toBe('generate 0 images (0 shards)');
  });

  it('generate: malformed shards give nothing', () => {
    expect(stageProgressText('generate', { failures: 2 })).toBe('');
    expect(stageProgressText('generate', { shards: 'all' })).toBe('');
    expect(stageProgressText('generate', { shards: [shard(0, 500), null] })).toBe('');
    expect(stageProgressText('generate', { shards: [{ index: 0 }] })).toBe('');
    expect(stageProgressText('generate', { shards: [{ count: -5 }] })).toBe('');
  });

  it('ingest activities: files hashed, the shard being written, batches read', () => {
    expect(stageProgressText('indexSource', { hashed: 12000 })).toBe(
      'ingest index 12,000 files hashed',
    );
    expect(stageProgressText('writeShard', { shard: 12, encoded: 1500 })).toBe(
      'ingest shard #12 (1,500 images encoded)',
    );
    expect(stageProgressText('writeShard', { shard: 12, read: 300 })).toBe(
      'ingest shard #12 (300 images read)',
    );
    expect(stageProgressText('writeShard', { shard: 0, encoded: 0 })).toBe(
      'ingest shard #0 (0 images encoded)',
    );
    expect(stageProgressText('writeShard', { shard: 4 })).toBe('ingest shard #4');
    expect(stageProgressText('writeDatasetManifest', { batches: 3 })).toBe(
      'ingest manifest (3 batches read)',
    );
    expect(stageProgressText('indexSource', { hashed: 'many' })).toBe('');
    expect(stageProgressText('writeShard', { encoded: 1500 })).toBe('');
    expect(stageProgressText('writeDatasetManifest', {})).toBe('');
  });

  it('activities without details (sampleImages) or unknown activities give nothing', () => {
    expect(stageProgressText('sampleImages', undefined)).toBe('');
    expect(stageProgressText('sampleImages', { failures: 0 })).toBe('');
    expect(stageProgressText('lookupStage', { step: 5 })).toBe('');
    expect(stageProgressText('', { step: 5 })).toBe('');
  });

  it('garbage details give nothing for every activity', () => {
    for (const type of ['train', 'generate', 'indexSource', 'writeShard', 'writeDatasetManifest'])
      for (const details of GARBAGE) expect(stageProgressText(type, details)).toBe('');
  });
});

describe('runningStagesText', () => {
  it('joins the texts of the pending activities that report, each once', () => {
    expect(
      runningStagesText([
        { type: 'lookupStage', details: undefined },
        { type: 'train', details: { step: 10, loss: 0.5 } },
        { type: 'generate', details: { shards: [shard(0, 500)] } },
        { type: 'train', details: { step: 10, loss: 0.5 } },
      ]),
    ).toBe('train step 10 loss 0.500, generate 500 images (1 shard)');
    expect(runningStagesText([])).toBe('');
    expect(runningStagesText([{ type: 'sampleImages', details: undefined }])).toBe('');
  });
});

describe('ingestProgressText', () => {
  const progress: IngestProgress = {
    stage: 'sharding',
    shardsDone: 12,
    shardsTotal: 35,
    imagesDone: 24000,
    imagesTotal: 70000,
  };

  it('shards done of the total while sharding, the stage otherwise', () => {
    expect(ingestProgressText(progress)).toBe('ingest shard 12/35');
    expect(ingestProgressText({ ...progress, shardsDone: 1200, shardsTotal: 3500 })).toBe(
      'ingest shard 1,200/3,500',
    );
    expect(ingestProgressText({ ...progress, shardsTotal: 0 })).toBe('ingest shard 12');
    expect(ingestProgressText({ ...progress, stage: 'indexing' })).toBe('ingest indexing');
    expect(ingestProgressText({ ...progress, stage: 'manifest' })).toBe('ingest manifest');
    expect(ingestProgressText({ ...progress, stage: 'done' })).toBe('');
  });

  it('malformed progress gives nothing', () => {
    expect(ingestProgressText({ ...progress, shardsDone: 'twelve' })).toBe('');
    expect(ingestProgressText({ ...progress, stage: 'other' })).toBe('');
    for (const value of GARBAGE) expect(ingestProgressText(value)).toBe('');
  });
});

describe('withStageProgress', () => {
  const line = 'shared     [####------] 3/11 stages (1 cached)  g=1 (shared) fit embedding';

  it('appends the text after the bar line; no text leaves the line as it is', () => {
    expect(withStageProgress(line, 'train step 1200 loss 0.0312')).toBe(
      `${line}  | train step 1200 loss 0.0312`,
    );
    expect(withStageProgress(line, '')).toBe(line);
    expect(withStageProgress('alpha=1 [--] 0/5 stages  ', 'train step 1')).toBe(
      'alpha=1 [--] 0/5 stages  | train step 1',
    );
  });

  it('keeps the line within the terminal width, shortening or leaving out the text', () => {
    const text = 'train step 1200 loss 0.0312';
    const wide = withStageProgress(line, text, 200);
    expect(wide).toBe(`${line}  | ${text}`);
    const columns = line.length + 4 + 16;
    const cut = withStageProgress(line, text, columns);
    expect(cut).toBe(`${line}  | train step 1...`);
    expect(cut.length).toBe(columns - 1);
    expect(withStageProgress(line, text, line.length + 10)).toBe(line);
    expect(withStageProgress(line, text, 40)).toBe(line);
  });
});
