import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  figure,
  gallery,
  markup,
  paragraph,
  table,
  withCode,
  type Html,
} from '../lib/report/html.ts';
import { histogram } from '../lib/report/histogram.ts';
import { mdCode, mdTable } from '../lib/report/markdown.ts';
import { fileSafeName, writePlot } from '../lib/report/write-plot.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import type { ReplicaAuditReport, ScoreSummary } from '../lib/studies/replication-result.ts';

/** What each score means, for captions. */
export const SCORE_MEANING: Record<ScoreSummary['score'], string> = {
  cosine: 'cosine of the L2-normalised embeddings (Somepalli et al. 2023); higher = more alike',
  'split-product':
    'split-product of the normalised embeddings, max over corresponding chunks (the authors\u2019 code); higher = more alike',
  'normalised-l2':
    'RMS pixel difference in [0, 1] to the nearest training image (Carlini et al. 2023); lower = more alike',
  'tiled-l2':
    'max over a 4 x 4 grid of tiles of the tiles\u2019 RMS difference (Carlini et al. 2023); lower = more alike everywhere',
  'nn-ratio':
    'nearest / second-nearest normalised L2 distance (Gu et al. 2023); lower = closer to one image than to any other',
};

/** One rendered audit: its HTML and Markdown, for a study report or `clab replicas`. */
export interface AuditSection {
  html: Html;
  md: string;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '-');

/** The summary lines of an audit: one per score, calibrated, and at the fixed threshold if any. */
export function summaryCells(summaries: readonly ScoreSummary[]): string[][] {
  return summaries.flatMap((s) => [
    [
      s.score,
      `${s.direction === 'higher-is-copy' ? '>' : '<'} ${num(s.threshold)}`,
      s.calibratedBy === 'user'
        ? 'given by the user'
        : `calibrated: ${s.percentile}th percentile of ${s.calibratedBy === 'held-out' ? 'held-out real -> train' : 'train -> other train (leave one out)'}`,
      pct(s.rate),
      String(s.flagged),
      String(s.distinctMatches),
    ],
    ...(s.fixed
      ? [
          [
            s.score,
            `${s.direction === 'higher-is-copy' ? '>' : '<'} ${num(s.fixed.threshold)}`,
            `uncalibrated: ${s.fixed.source}`,
            pct(s.fixed.rate),
            '-',
            String(s.fixed.distinctMatches),
          ],
        ]
      : []),
  ]);
}

export const SUMMARY_HEADER = [
  'score',
  'copy if',
  'threshold',
  'replication rate',
  'flagged',
  'distinct train images',
];

/**
 * Renders one audit into `dir`: the summary table, an overlaid histogram per score (generated ->
 * train best scores, the calibration scores, train -> other train), and the gallery PNG with a
 * table naming each row's generated image and its matches with their scores.
 */
export async function writeAuditSection(
  report: ReplicaAuditReport,
  audit: string,
  galleryDigest: string | undefined,
  store: ArtifactStore,
  dir: string,
  name: string,
): Promise<AuditSection> {
  const safe = fileSafeName(name);
  const calibration =
    report.calibration.source === 'held-out'
      ? `held-out real (${report.calibration.count}) -> train`
      : 'calibration: train -> other train';
  const plots = await Promise.all(
    report.summaries.map(async (s) => {
      const d = report.distributions[s.score]!;
      const plot = await histogram({
        title: `${name}: ${s.score}`,
        sources: [audit],
        xTitle: s.score,
        yTitle: 'share of images',
        normalize: true,
        legendTitle: 'best match',
        series: [
          { name: `generated (${d.generated.length}) -> train`, values: d.generated },
          ...(report.calibration.source === 'held-out'
            ? [{ name: calibration, values: d.calibration }]
            : []),
          { name: `train (${d.background.length}) -> other train`, values: d.background },
        ],
      });
      return { s, plot, files: writePlot(dir, `${safe}-${s.score}`, plot) };
    }),
  );
  const summary = summaryCells(report.summaries);
  const about = `Embedding \`${report.embedding}\`; ${report.generated.count} generated images (\`${report.generated.dataset}\`) against ${report.train.count} training images (\`${report.train.dataset}\`); audit \`${audit}\`.`;

  let galleryHtml: Html | string = '';
  let galleryMd = '';
  if (galleryDigest && report.gallery) {
    mkdirSync(join(dir, 'galleries'), { recursive: true });
    const src = `galleries/${safe}.png`;
    writeFileSync(join(dir, src), await store.get(galleryDigest));
    const { rows, matches } = report.gallery;
    const primary = report.primary;
    const rowCells = rows.map((row, i) => [
      String(i + 1),
      row.kind,
      report.generated.sources[row.generated] ?? `#${row.generated}`,
      row.matches.train
        .slice(0, matches)
        .map((t, j) => `${report.train.sources[t] ?? `#${t}`} (${num(row.matches.scores[j]!)})`)
        .join(', '),
    ]);
    const caption = `Gallery: each row a generated image (left), then its ${matches} best training matches by ${primary}, best first. Rows 1-${rows.filter((r) => r.kind === 'top').length} are the most copy-like generated images, the rest are drawn at random.`;
    galleryHtml = markup`${gallery([{ src, label: caption, sources: [galleryDigest] }], { scale: 1, maxWidth: 900 })}${table(
      {
        columns: [
          'row',
          { title: 'kind', left: true },
          { title: 'generated image', left: true },
          { title: `training matches (${primary})`, left: true },
        ],
        rows: rowCells,
      },
    )}`;
    galleryMd = [
      `![gallery](${src})`,
      '',
      caption,
      '',
      mdTable(['row', 'kind', 'generated image', `training matches (${primary})`], rowCells),
    ].join('\n');
  }

  const html = markup`${paragraph(withCode(about))}${table({
    columns: SUMMARY_HEADER.map((h, i) => (i <= 2 ? { title: h, left: true } : h)),
    rows: summary,
    caption:
      'Replication rate = share of generated images beyond the threshold; distinct = training images that are the best match of a flagged image (copies of one image count once). Uncalibrated thresholds come from other datasets and do not transfer.',
  })}${plots.map(({ s, plot, files }) =>
    figure({
      svg: plot.svg,
      caption: `${SCORE_MEANING[s.score]}. Shares of each set's best-match scores.`,
      sources: plot.sources,
      links: [
        { href: files.svg, text: 'SVG' },
        { href: files.spec, text: 'Vega-Lite spec' },
      ],
    }),
  )}${galleryHtml}`;
  const md = [
    about.replace(/`([0-9a-f]{64})`/g, (_, d: string) => mdCode(d)),
    '',
    mdTable(SUMMARY_HEADER, summary),
    '',
    ...plots.flatMap(({ s, files }) => [
      `![${s.score}](${files.svg})`,
      '',
      SCORE_MEANING[s.score],
      '',
    ]),
    galleryMd,
  ].join('\n');
  return { html, md };
}
