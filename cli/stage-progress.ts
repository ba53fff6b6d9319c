/**
 * The running stage's own progress, as a short text for `clab run`'s bar lines: what a pending
 * activity's decoded heartbeat details say (e.g. `train step 1200 loss 0.0312`), or what an
 * ingest child workflow's `ingestProgress` query says (`ingest shard 12/35`). Pure: the caller
 * describes the workflows and decodes the details. Anything it does not recognise (another
 * activity, no details, details of an unexpected shape) gives the empty string.
 *
 * What each activity heartbeats today (read from the activities, which are not changed here:
 * editing one changes its stage's code fingerprint, hence every cached stage key of that stage
 * and the `codeVersion` its artifacts record):
 * - `train` (activities/train.ts, TrainProgress): `step`, `loss`, `checkpoint`, `checkpointStep`,
 *   and asStage's `failures`; no total. The trainer's `progress` event has the total as `steps`;
 *   were it heartbeated under that name, it is shown as `step 1200/5000`.
 * - `generate` (activities/generate.ts): `shards`, the ShardRecords finished so far (each with
 *   its `count`), and `failures`; no total.
 * - `sampleImages` and the other runStage activities: no details.
 * - `indexSource`: `hashed` (files); `writeShard`: `shard` (its index) with `read` or `encoded`
 *   (images); `writeDatasetManifest`: `batches` (read). The shard activities run in the
 *   `ingestDataset` child workflow, whose `ingestProgress` query has the shard count and total.
 */

/** A pending activity: its type name and its decoded heartbeat details (anything, or undefined). */
export interface PendingStage {
  type: string;
  details: unknown;
}

/** Between a bar line and the stage's progress text. */
export const STAGE_PROGRESS_SEPARATOR = '  | ';

/** The progress text of one pending activity; '' for an unknown activity or unusable details. */
export function stageProgressText(type: string, details: unknown): string {
  const d = recordOf(details);
  if (!d) return '';
  switch (type) {
    case 'train':
      return trainText(d);
    case 'generate':
      return generateText(d);
    case 'indexSource': {
      const hashed = countOf(d.hashed);
      return hashed === undefined ? '' : `ingest index ${thousands(hashed)} files hashed`;
    }
    case 'writeShard': {
      const shard = countOf(d.shard);
      if (shard === undefined) return '';
      const encoded = countOf(d.encoded);
      const read = countOf(d.read);
      const what =
        encoded !== undefined
          ? ` (${thousands(encoded)} images encoded)`
          : read !== undefined
            ? ` (${thousands(read)} images read)`
            : '';
      return `ingest shard #${shard}${what}`;
    }
    case 'writeDatasetManifest': {
      const batches = countOf(d.batches);
      return batches === undefined ? '' : `ingest manifest (${thousands(batches)} batches read)`;
    }
    default:
      return '';
  }
}

/** The progress texts of a workflow's pending activities, joined (each distinct text once). */
export function runningStagesText(pending: readonly PendingStage[]): string {
  const texts = pending.map((p) => stageProgressText(p.type, p.details)).filter((t) => t !== '');
  return [...new Set(texts)].join(', ');
}

/** An ingest child's `ingestProgress` (workflows/ingest-dataset.ts) as text; '' once done. */
export function ingestProgressText(progress: unknown): string {
  const p = recordOf(progress);
  if (!p) return '';
  switch (p.stage) {
    case 'indexing':
      return 'ingest indexing';
    case 'sharding': {
      const done = countOf(p.shardsDone);
      const total = countOf(p.shardsTotal);
      if (done === undefined) return '';
      return `ingest shard ${thousands(done)}${total ? `/${thousands(total)}` : ''}`;
    }
    case 'manifest':
      return 'ingest manifest';
    default:
      return '';
  }
}

/**
 * `line` with the stage's progress text appended. With `columns` (the terminal's width), the text
 * is shortened (or left out) so that the line does not wrap: a wrapped line would break the
 * in-place redraw. Without text, the line is returned as it is.
 */
export function withStageProgress(line: string, text: string, columns?: number): string {
  if (!text) return line;
  const base = line.trimEnd();
  if (columns === undefined || columns <= 0) return `${base}${STAGE_PROGRESS_SEPARATOR}${text}`;
  const room = columns - 1 - base.length - STAGE_PROGRESS_SEPARATOR.length;
  if (room >= text.length) return `${base}${STAGE_PROGRESS_SEPARATOR}${text}`;
  if (room < 12) return line;
  return `${base}${STAGE_PROGRESS_SEPARATOR}${text.slice(0, room - 3)}...`;
}

function trainText(d: Record<string, unknown>): string {
  const step = countOf(d.step);
  if (step === undefined) return '';
  const total = countOf(d.steps);
  const loss = typeof d.loss === 'number' && Number.isFinite(d.loss) ? d.loss : undefined;
  return `train step ${step}${total ? `/${total}` : ''}${loss === undefined ? '' : ` loss ${lossText(loss)}`}`;
}

function generateText(d: Record<string, unknown>): string {
  if (!Array.isArray(d.shards)) return '';
  const counts = d.shards.map((s) => countOf(recordOf(s)?.count));
  if (counts.some((c) => c === undefined)) return '';
  const images = (counts as number[]).reduce((n, c) => n + c, 0);
  const shards = counts.length;
  return `generate ${thousands(images)} images (${shards} shard${shards === 1 ? '' : 's'})`;
}

/** Three significant digits: 0.0312, 1.23, 12.3 (exponent notation below 1e-6). */
function lossText(loss: number): string {
  return loss === 0 ? '0' : loss.toPrecision(3);
}

function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

/** A non-negative integer, else undefined. */
function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function recordOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
