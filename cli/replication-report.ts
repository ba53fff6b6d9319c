import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvText } from '../lib/report/csv.ts';
import { errorBarPlot } from '../lib/report/error-bar-plot.ts';
import { figure, page, paragraph, section, table, withCode } from '../lib/report/html.ts';
import { mdTable } from '../lib/report/markdown.ts';
import { writePlot } from '../lib/report/write-plot.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson } from '../lib/storage/json-artifacts.ts';
import type { ReplicaAuditReport } from '../lib/studies/replication-result.ts';
import { writeAuditSection } from './replica-audit-section.ts';
import {
  auditRows,
  formatValue,
  RATE_HEADER,
  rateCells as cellsOf,
  summarizeReplication,
  summarizeReplicationMetrics,
  type ReplicationTable,
} from './replication-table.ts';

const PAPER =
  'Somepalli et al. (2023): DDPMs trained on small sets (CelebA subsets of 300 to 3,000 images) replicate much of their training data, and replication falls as the training set grows; Stable Diffusion gave 1.88% of generations above 0.5 (SSCD cosine) against LAION Aesthetics.';

/**
 * Writes a replication study's report to `dir`: index.html and report.md (replication rate by N
 * for every embedding and score, calibrated and at the literature's fixed thresholds, with error
 * bars over seeds; FID / precision / recall; for each N the audit of the first seed in the
 * copy-detection embedding, or the first audited one: score histograms and the gallery of the
 * most copy-like and random generated images beside their training matches) and results.csv.
 */
export async function writeReplicationReport(
  t: ReplicationTable,
  store: ArtifactStore,
  dir: string,
  workflowId: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const audits = auditRows(t.rows);
  writeFileSync(
    join(dir, 'results.csv'),
    csvText(
      [
        'seed',
        'n',
        'guidance',
        'embedding',
        'score',
        'direction',
        'threshold',
        'calibratedBy',
        'percentile',
        'rate',
        'flagged',
        'distinctMatches',
        'fixedThreshold',
        'fixedRate',
        'audit',
      ],
      audits.map((r) => [
        r.seed,
        r.n,
        r.guidance,
        r.embedding,
        r.summary.score,
        r.summary.direction,
        r.summary.threshold,
        r.summary.calibratedBy,
        r.summary.percentile,
        r.summary.rate,
        r.summary.flagged,
        r.summary.distinctMatches,
        r.summary.fixed?.threshold,
        r.summary.fixed?.rate,
        r.audit,
      ]),
    ),
  );

  const summary = summarizeReplication(t.rows);
  const seeds = [...new Set(t.rows.map((r) => r.seed))];
  const guidances = [...new Set(summary.map((s) => s.guidance))];
  const rateHeader = RATE_HEADER;
  const rateCells = cellsOf(summary);
  const metrics = summarizeReplicationMetrics(t.rows);
  const metricHeader = ['N', 'guidance', 'FID', 'precision', 'recall'];
  const metricCells = metrics.map((m) => [
    String(m.n),
    String(m.guidance),
    formatValue(m.fid, 2),
    formatValue(m.precision),
    formatValue(m.recall),
  ]);

  // replication rate against N, one plot per guidance, one line per embedding and score
  const plots = [];
  for (const guidance of guidances) {
    const rows = summary.filter((s) => s.guidance === guidance);
    const label = (s: (typeof rows)[number]) => `${embeddingLabel(s.embedding)} ${s.score}`;
    const series = [...new Set(rows.map(label))].map((name) => ({
      name,
      points: rows
        .filter((s) => label(s) === name)
        .map((s) => ({ x: Math.log10(s.n), mean: s.rate.mean, se: s.rate.se, n: s.rate.n })),
    }));
    const plot = await errorBarPlot({
      title: `Replication rate against training-set size (guidance ${guidance})`,
      sources: [...new Set(audits.filter((a) => a.guidance === guidance).map((a) => a.audit))],
      xTitle: 'log10 N (training images)',
      yTitle: 'replication rate (calibrated threshold)',
      yFormat: '.1%',
      series,
    });
    plots.push({ plot, files: writePlot(dir, `rate-vs-n-w${guidance}`, plot) });
  }

  // per N: the first seed's audits in the preferred embedding (copy detection, else the first)
  const preferred =
    audits.find((a) => a.embedding.includes('copy'))?.embedding ?? audits[0]?.embedding;
  const shown = [
    ...new Map(
      audits
        .filter((a) => a.seed === seeds[0] && a.embedding === preferred)
        .map((a) => [a.audit, a]),
    ).values(),
  ].sort((a, b) => a.n - b.n || a.guidance - b.guidance);
  const perN = [];
  for (const a of shown) {
    const report = await getJson<ReplicaAuditReport>(store, a.audit);
    const name = `N=${a.n} guidance=${a.guidance} seed=${a.seed}`;
    perN.push({ name, ...(await writeAuditSection(report, a.audit, a.gallery, store, dir, name)) });
  }

  const about = [
    `Workflow \`${workflowId}\`. For each training-set size N a class-conditional DDPM trained on N real images (the same number of steps for every N), sampled at guidance ${guidances.join(' and ')}; ${seeds.length === 1 ? 'one seed' : `mean +- standard error over ${seeds.length} seeds`}. Each sample set is audited against its own training set; thresholds are calibrated on held-out real images \`${t.heldOut}\` (never trained on) at the ${summary[0]?.percentile ?? '-'}th percentile of their best scores against the training set, so a generator that copies nothing has a rate near ${summary[0] ? (100 - summary[0].percentile).toFixed(1) : '-'}%.`,
    `Embeddings: ${[t.embeddings.cnn ? `CNN features \`${t.embeddings.cnn.id}\` (a poor copy detector: images of one class look alike in them)` : '', t.embeddings.copy ? `the copy-detection embedding \`${t.embeddings.copy.id}\` (contrastive, trained to ignore the edits a copy undergoes)` : '', 'raw pixels (normalised L2, tiled L2, nearest-neighbour ratio)'].filter(Boolean).join('; ')}.`,
    PAPER,
  ];
  const md = [
    `# ${t.name}: do generators copy their training images? (Somepalli et al. 2023)`,
    '',
    ...about.flatMap((p) => [p, '']),
    '## Replication rate by training-set size',
    '',
    ...plots.flatMap((p) => [`![${p.plot.title}](${p.files.svg})`, '']),
    mdTable(rateHeader, rateCells),
    '',
    '## FID, precision and recall',
    '',
    mdTable(metricHeader, metricCells),
    '',
    ...perN.flatMap((s) => [`## ${s.name}`, '', s.md, '']),
    'One line per seed, N, guidance, embedding and score: `results.csv`.',
  ].join('\n');
  writeFileSync(join(dir, 'report.md'), md + '\n');

  const html = page(
    `${t.name}: do generators copy their training images?`,
    about.map((p) => paragraph(withCode(p))),
    section('Replication rate by training-set size', [
      plots.map((p) =>
        figure({
          svg: p.plot.svg,
          caption:
            'Mean +- standard error over seeds; each line one embedding (pixels, cnn: the CNN features, copy: the copy-detection embedding; their ids are in the table) and score.',
          sources: p.plot.sources,
          links: [
            { href: p.files.svg, text: 'SVG' },
            { href: p.files.spec, text: 'Vega-Lite spec' },
          ],
        }),
      ),
      table({
        columns: rateHeader.map((h, i) => (i === 2 || i === 3 ? { title: h, left: true } : h)),
        rows: rateCells,
      }),
    ]),
    section('FID, precision and recall', table({ columns: metricHeader, rows: metricCells })),
    perN.map((s) => section(s.name, s.html)),
  );
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}

/** A legend-sized name of an audit embedding: pixels, cnn, copy, or the id before its digest. */
export function embeddingLabel(id: string): string {
  if (id === 'pixels') return 'pixels';
  if (id.includes('copy-detection')) return 'copy';
  if (id.includes('cnn-features')) return 'cnn';
  return id.split('@')[0]!;
}
