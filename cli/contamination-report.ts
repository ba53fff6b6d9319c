import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvText, type CsvValue } from '../lib/report/csv.ts';
import { errorBarPlot, type ErrorBarSeries } from '../lib/report/error-bar-plot.ts';
import { heatmap } from '../lib/report/heatmap.ts';
import {
  code,
  figure,
  gallery,
  markup,
  link,
  list,
  page,
  paragraph,
  section,
  figures,
  table as htmlTable,
  withCode,
  type Column,
  type Content,
  type GalleryItem,
} from '../lib/report/html.ts';
import { mdCode, mdTable, mdText } from '../lib/report/markdown.ts';
import {
  HATAYA_2023,
  paperAccuracy,
  paperGeneratorMetrics,
  paperRobustness,
  TABLE_1,
  TABLE_3,
  TABLE_4,
  TABLE_5,
  TABLE_6,
  TABLE_7,
  TABLE_8,
  type PaperSource,
  type PaperValue,
} from '../lib/report/paper-reference/hataya-2023.ts';
import type { Plot } from '../lib/report/plot.ts';
import { pngSize } from '../lib/report/png-size.ts';
import { formatMeanSe as formatValue, meanSe, type MeanSe } from '../lib/report/stats.ts';
import { fileSafeName, writePlot } from '../lib/report/write-plot.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson } from '../lib/storage/json-artifacts.ts';
import type { ContaminationRow, MixKind } from '../lib/studies/contamination-result.ts';
import {
  formatMeanSe,
  isBaseline,
  mixName,
  percent,
  shiftLabels,
  sourceRank,
  summarize,
  type ContaminationSummaryRow,
  type ContaminationTable,
} from './contamination-table.ts';

type Summary = ContaminationSummaryRow<ContaminationRow>;

/** The part of a `clab.classification/v1` report (activities/stages/classify.ts) the report reads. */
interface ClassificationArtifact {
  format: string;
  classes: string[];
  count: number;
  accuracy: number;
  confusion: number[][];
}

/** One part of the report: its HTML and its markdown lines. */
interface Part {
  html: Content;
  md: string[];
}

/** The clean test set's label among the test sets (the others are the result's shift labels). */
const CLEAN = 'test';

const PAPER_NOTE = `Shaded italic columns are the paper's numbers (${HATAYA_2023.citation}; ${HATAYA_2023.setting}).`;

/**
 * Writes a contamination study's report to `dir`: index.html (tables with mean +- standard error
 * over seeds beside the paper's numbers, plots with error bars, confusion matrices, sample grids),
 * report.md (the same tables), the plots as SVG with their Vega-Lite specs (plots/), the grids
 * (grids/) and CSV files: results.csv (one line per seed and training set), summary.csv,
 * per-class.csv and diversity.csv. Returns the HTML path.
 */
export async function writeContaminationReport(
  table: ContaminationTable,
  store: ArtifactStore,
  dir: string,
  workflowId: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const ctx = contextOf(table, store, dir);
  const parts: Part[] = [
    about(ctx, workflowId),
    await replaceSection(ctx),
    await perClassSection(ctx),
    await generatorSection(ctx),
    diversitySection(ctx),
    await sizeControlSection(ctx),
    await appendSection(ctx),
    await gridSection(ctx),
    writeCsvFiles(ctx),
  ];

  const title = `${table.name}: contamination mixes (Hataya et al., ICCV 2023)`;
  writeFileSync(
    join(dir, 'report.md'),
    [`# ${mdText(title)}`, '', ...parts.flatMap((p) => [...p.md, ''])].join('\n'),
  );
  const path = join(dir, 'index.html');
  writeFileSync(
    path,
    page(
      title,
      parts.map((p) => p.html),
    ),
  );
  return path;
}

interface Context {
  table: ContaminationTable;
  store: ArtifactStore;
  dir: string;
  summary: Summary[];
  /** Test labels: the clean test set, then the shifted ones (the hard subset among them). */
  tests: string[];
  shifts: string[];
  /** The sources of replace mixes other than R, in table order (S, the controls, others). */
  replaceSources: string[];
  seeds: number[];
  paperSource(source: string): PaperSource | null;
  /** Classification reports read so far, by digest (undefined: not readable). */
  reports: Map<string, ClassificationArtifact | undefined>;
}

function contextOf(table: ContaminationTable, store: ArtifactStore, dir: string): Context {
  const controls = table.controls ?? [];
  const rank = sourceRank(controls);
  const summary = summarize(table);
  const shifts = shiftLabels(table);
  const replaceSources = [
    ...new Set(
      summary.filter((s) => s.kind === 'replace' && s.source !== 'R').map((s) => s.source),
    ),
  ].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return {
    table,
    store,
    dir,
    summary,
    tests: [CLEAN, ...shifts],
    shifts,
    replaceSources,
    seeds: [...new Set(table.rows.map((r) => r.seed))].sort((a, b) => a - b),
    paperSource: (source) => (source === 'S' ? 'generated' : source === 'R' ? null : 'real'),
    reports: new Map(),
  };
}

// ---------------------------------------------------------------------------------------------
// pieces shared by the sections

const nameOf = (s: Pick<Summary, 'kind' | 'source' | 'fraction'>) =>
  mixName(s.kind, s.source, s.fraction);

function valueOf(s: Summary, test: string): MeanSe {
  return test === CLEAN ? s.accuracy : (s.shifted[test] ?? meanSe([]));
}

function testTitle(test: string): string {
  return test === CLEAN ? 'clean test set' : test === 'hard' ? 'hard subset' : `test set ${test}`;
}

function testDigest(ctx: Context, test: string): string | undefined {
  return test === CLEAN ? ctx.table.datasets.test : ctx.table.shiftedTests?.[test];
}

const paperCell = (v: PaperValue | undefined, digits = 1): string =>
  v ? `${v.value.toFixed(digits)} (${v.ref})` : '-';

/** Percent points of a summary value, for plots. */
function point(x: number, v: MeanSe) {
  return { x, mean: 100 * v.mean, se: 100 * v.se, n: v.n };
}

/** A plot written to plots/ and its figure: the SVG as an image, links to the SVG and spec. */
function plotFigure(ctx: Context, name: string, plot: Plot, caption: string): Part {
  const files = writePlot(ctx.dir, name, plot);
  return {
    html: figure({
      src: files.svg,
      alt: plot.title,
      caption,
      sources: plot.sources,
      links: [
        { href: files.svg, text: 'SVG' },
        { href: files.spec, text: 'Vega-Lite spec' },
      ],
    }),
    md: [
      `![${mdText(plot.title)}](${files.svg})`,
      '',
      `${mdText(caption)} Made from ${plot.sources.map(mdCode).join(', ')}; spec: [${files.spec}](${files.spec}).`,
    ],
  };
}

/** An HTML table and its markdown twin from the same cells (strings). */
function tablePart(columns: Column[], rows: string[][], caption?: string): Part {
  const header = columns.map((c) => (typeof c === 'string' ? c : String(c.title)));
  return {
    html: htmlTable({ columns, rows, caption }),
    md: [
      mdTable(
        header.map(mdText),
        rows.map((r) => r.map(mdText)),
      ),
      ...(caption ? ['', mdText(caption)] : []),
    ],
  };
}

/** Plot figures side by side. */
function figuresPart(parts: Part[]): Part {
  const joined = joinParts(...parts);
  return { html: figures(joined.html), md: joined.md };
}

function joinParts(...parts: Part[]): Part {
  return {
    html: parts.map((p) => p.html),
    md: parts.flatMap((p, i) => (i ? ['', ...p.md] : p.md)),
  };
}

function sectionPart(id: string, title: string, ...parts: Part[]): Part {
  const body = joinParts(...parts);
  return { html: section(title, body.html, { id }), md: [`## ${mdText(title)}`, '', ...body.md] };
}

function textPart(text: string): Part {
  return { html: paragraph(withCode(text)), md: [text.replace(/\|/g, '\\|')] };
}

/** The paper's table as a reference (every column shaded), with its number and setting. */
function paperTablePart(
  ref: { table: string; setting: string },
  columns: string[],
  rows: (string | number | null)[][],
): Part {
  return tablePart(
    columns.map((c, i) => (i ? { title: c, paper: true } : { title: c, left: true, paper: true })),
    rows.map((r) => r.map((v) => (v === null ? '-' : String(v)))),
    `Paper ${ref.table}: ${ref.setting}. ${HATAYA_2023.setting}.`,
  );
}

/** Error-bar series of one test's accuracy (%) against the fraction, one per source. */
function accuracySeries(
  ctx: Context,
  kinds: readonly MixKind[],
  sources: readonly string[],
  test: string,
  { baseline, label = (s) => s }: { baseline?: Summary; label?: (source: string) => string } = {},
): ErrorBarSeries[] {
  return sources.map((source) => ({
    name: label(source),
    points: [
      ...(baseline ? [point(0, valueOf(baseline, test))] : []),
      ...ctx.summary
        .filter((s) => kinds.includes(s.kind) && s.source === source && !isBaseline(s))
        .map((s) => point(s.fraction, valueOf(s, test))),
    ],
  }));
}

function yRange(series: ErrorBarSeries[]): [number, number] | undefined {
  const ys = series.flatMap((s) =>
    s.points.flatMap((p) => [p.mean - (p.se || 0), p.mean + (p.se || 0)]),
  );
  const finite = ys.filter(Number.isFinite);
  if (!finite.length) return undefined;
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  const pad = Math.max(1, 0.08 * (hi - lo));
  return [Math.max(0, lo - pad), Math.min(100, hi + pad)];
}

// ---------------------------------------------------------------------------------------------
// the sections

function about(ctx: Context, workflowId: string): Part {
  const { table } = ctx;
  const d = table.datasets;
  const seeds = ctx.seeds.length;
  const lines = [
    `Workflow \`${workflowId}\`; ${table.rowCount ?? table.rows.length} trained classifiers, ${table.stageCount ?? '?'} stages (${table.cacheHits ?? 0} from the cache). Accuracies are in percent, mean +- standard error over ${seeds} seed${seeds === 1 ? '' : 's'} (${ctx.seeds.join(', ')}); one line per seed in \`results.csv\`.`,
    `R \`${d.real}\` (the real training set), generator pool P \`${d.pool}\`, S \`${d.synthetic}\` sampled at temperature ${table.temperature} from the generator \`${table.generator}\` fitted on P, test set \`${d.test}\`.`,
    ...(table.metricEmbedding
      ? [
          `Generator metrics (FID, precision, recall) are computed in the embedding \`${table.metricEmbedding}\`; accuracies are the downstream classifier's own.`,
        ]
      : []),
    ...(table.hardSubset
      ? [
          `The hard subset \`${table.hardSubset.dataset}\`: ${table.hardSubset.count} test images most of ${table.hardSubset.references.length} reference classifiers (each trained on its own disjoint real pool: ${table.hardSubset.references.map((r) => `\`${r}\``).join(', ')}) get wrong${table.hardSubset.reports?.length ? ` (their reports on the test set: ${table.hardSubset.reports.map((r) => `\`${r}\``).join(', ')})` : ''}; the offline stand-in for ImageNet-A.`,
        ]
      : []),
  ];
  const controls = table.controls ?? [];
  const shifted = Object.entries(table.shiftedTests ?? {});
  const controlList = controls.map(
    (c) => markup`${code(c.name)}: ${c.description} (${code(c.dataset)})`,
  );
  const shiftList = shifted.map(([label, digest]) => markup`${code(label)}: ${code(digest)}`);
  return {
    html: [
      lines.map((l) => paragraph(withCode(l))),
      controls.length ? [paragraph('Real-source controls:'), list(controlList)] : [],
      shifted.length ? [paragraph('Shifted test sets:'), list(shiftList)] : [],
      markup`<p class="note">${PAPER_NOTE}</p>`,
    ],
    md: [
      ...lines.flatMap((l) => [l, '']),
      ...(controls.length
        ? [
            'Real-source controls:',
            '',
            ...controls.map(
              (c) => `- ${mdCode(c.name)}: ${mdText(c.description)} (${mdCode(c.dataset)})`,
            ),
            '',
          ]
        : []),
      ...(shifted.length
        ? [
            'Shifted test sets:',
            '',
            ...shifted.map(([label, digest]) => `- ${mdCode(label)}: ${mdCode(digest)}`),
            '',
          ]
        : []),
      `> ${mdText(PAPER_NOTE)}`,
    ],
  };
}

/** T1 (and T6): accuracy of the classifier trained on R/O-r%, per test set, beside the paper's. */
async function replaceSection(ctx: Context): Promise<Part> {
  const rows = ctx.summary.filter((s) => s.kind === 'replace');
  if (!rows.length) return { html: '', md: [] };
  const baseline = rows.find((s) => isBaseline(s));
  const fractions = [...new Set(rows.map((s) => s.fraction))].sort((a, b) => a - b);
  const plots: Part[] = [];
  for (const test of ctx.tests) {
    const series = accuracySeries(ctx, ['replace'], ctx.replaceSources, test, { baseline });
    const digest = testDigest(ctx, test);
    const sources = [ctx.table.table, ...(digest ? [digest] : [])];
    const plot = await errorBarPlot({
      title: `Accuracy on the ${testTitle(test)}`,
      sources,
      xTitle: 'fraction r of R replaced',
      yTitle: `accuracy on ${test} (%)`,
      legendTitle: 'other source',
      xTicks: fractions,
      xFormat: '.0%',
      yDomain: yRange(series),
      series,
    });
    plots.push(
      plotFigure(
        ctx,
        `t1-accuracy-${test}`,
        plot,
        `Accuracy (%) on the ${testTitle(test)}, mean +- standard error over seeds, of the classifier trained on R/O-r% for each other source O (r = 0 is R itself).`,
      ),
    );
  }
  const hard = ctx.shifts.includes('hard');
  const columns: Column[] = [
    { title: 'mix', left: true },
    { title: 'source', left: true },
    'r',
    'seeds',
    CLEAN,
    { title: 'paper: ResNet-50 (T1)', paper: true },
    ...ctx.shifts.flatMap((s): Column[] =>
      s === 'hard' ? [s, { title: 'paper: ImageNet-A (T6)', paper: true }] : [s],
    ),
  ];
  const cells = rows.map((s) => {
    const paperSource = ctx.paperSource(s.source);
    return [
      nameOf(s),
      s.source,
      percent(s.fraction) + '%',
      String(s.accuracy.n),
      formatMeanSe(s.accuracy),
      paperCell(paperAccuracy('replace', paperSource, s.fraction)),
      ...ctx.shifts.flatMap((label) => [
        formatMeanSe(s.shifted[label]!),
        ...(label === 'hard'
          ? [paperCell(paperRobustness('imagenetA', paperSource, s.fraction), 2)]
          : []),
      ]),
    ];
  });
  return sectionPart(
    't1',
    'T1: accuracy vs fraction replaced (paper Tables 1 and 6)',
    textPart(
      `Each training set R/O-r% keeps |R| and its class balance, a fraction r of R's images replaced class by class by images of O: S (generated) or a real control (${(ctx.table.controls ?? []).map((c) => `\`${c.name}\``).join(', ') || 'none'}). Expected (the paper's trend): accuracy falls as r grows, a little up to 40%, much at 80% and 100%; a real control hurts less than S. Robustness (paper Table 6) is the accuracy on the shifted test sets${hard ? ' and on the hard subset (the paper: ImageNet-A, where generated images hurt and real WebVision images help)' : ''}.`,
    ),
    figuresPart(plots),
    tablePart(columns, cells, `Accuracy (%), mean +- standard error over seeds. ${PAPER_NOTE}`),
    paperTablePart(
      TABLE_1,
      ['mix', 'ResNet-50', 'Swin-S', 'ConvNeXt-T'],
      TABLE_1.rows.map((r) => [r.mix, r.resnet50, r.swinS, r.convnextT]),
    ),
    paperTablePart(
      TABLE_6,
      ['mix', 'ImageNet val', 'ImageNet-A', 'ImageNet-R'],
      TABLE_6.rows.map((r) => [r.mix, r.val, r.imagenetA, r.imagenetR]),
    ),
  );
}

async function readReport(
  ctx: Context,
  digest: string,
): Promise<ClassificationArtifact | undefined> {
  if (!ctx.reports.has(digest)) {
    let report: ClassificationArtifact | undefined;
    try {
      report = await getJson<ClassificationArtifact>(ctx.store, digest);
      if (!Array.isArray(report.confusion) || !Array.isArray(report.classes)) report = undefined;
    } catch {
      report = undefined;
    }
    ctx.reports.set(digest, report);
  }
  return ctx.reports.get(digest);
}

/** Distinct labels for a heatmap: the class names, numbered where two are the same. */
function distinctLabels(classes: readonly string[]): string[] {
  const repeated = classes.some((c, i) => classes.indexOf(c) !== i);
  return classes.map((c, i) => (repeated ? `${i}: ${c}` : c));
}

/** Per-class accuracy and confusion matrices (summed over seeds) of R and of R/S-100%. */
async function perClassSection(ctx: Context): Promise<Part> {
  const replace = ctx.summary.filter((s) => s.kind === 'replace');
  const full = (source: string) => {
    const mixes = replace.filter((s) => s.source === source && s.fraction > 0);
    return mixes.find((s) => s.fraction === 1) ?? mixes.at(-1);
  };
  const targets = [
    ...replace.filter((s) => isBaseline(s)),
    ...ctx.replaceSources.map(full).filter((s): s is Summary => s !== undefined),
  ];
  if (!targets.length) return { html: '', md: [] };
  let classes: string[] | undefined;
  const plotParts: Part[] = [];
  const missing: string[] = [];
  for (const target of targets) {
    const digests = [...new Set(target.rows.map((r) => r.report))];
    const reports = await Promise.all(digests.map((d) => readReport(ctx, d)));
    const found = reports.filter((r): r is ClassificationArtifact => r !== undefined);
    missing.push(...digests.filter((_, i) => !reports[i]));
    if (!found.length) continue;
    classes ??= found[0]!.classes;
    const size = found[0]!.confusion.length;
    const sum = Array.from({ length: size }, (_, t) =>
      Array.from({ length: size }, (_, p) =>
        found.reduce((a, r) => a + (r.confusion[t]?.[p] ?? 0), 0),
      ),
    );
    const labels = distinctLabels(found[0]!.classes);
    const plot = await heatmap({
      title: `Confusion matrix of ${nameOf(target)}, ${found.length} seed${found.length === 1 ? '' : 's'} summed`,
      sources: digests.filter((_, i) => reports[i]),
      rows: labels,
      columns: labels,
      values: sum,
      xTitle: 'predicted class',
      yTitle: 'true class',
      valueTitle: 'test images',
    });
    plotParts.push(
      plotFigure(
        ctx,
        `confusion-${fileSafeName(nameOf(target))}`,
        plot,
        `Clean test set: images of each true class (rows) by predicted class (columns), summed over the seeds' classification reports.`,
      ),
    );
  }
  const classCount = Math.max(
    0,
    ...targets.flatMap((t) => t.rows.map((r) => r.perClassAccuracy.length)),
  );
  const classNames = Array.from({ length: classCount }, (_, c) => classes?.[c] ?? `class ${c}`);
  const cells = classNames.map((name, c) => [
    name,
    ...targets.map((t) =>
      formatMeanSe(
        meanSe(
          t.rows
            .map((r) => r.perClassAccuracy[c])
            .filter((v): v is number => typeof v === 'number'),
        ),
      ),
    ),
  ]);
  return sectionPart(
    'per-class',
    'Per-class accuracy and confusion matrices (clean test set)',
    textPart(
      'The paper (Figure 3) finds that the model trained on generated images alone fails whole classes uniformly, where the model trained on real images confuses similar classes.',
    ),
    tablePart(
      [{ title: 'class', left: true }, ...targets.map(nameOf)],
      cells,
      'Per-class accuracy (%) on the clean test set, mean +- standard error over seeds.',
    ),
    figuresPart(plotParts),
    ...(missing.length
      ? [
          textPart(
            `Classification reports not found in the store: ${missing.map((d) => `\`${d}\``).join(', ')}.`,
          ),
        ]
      : []),
  );
}

/** T3: a generator fitted on each mix, its FID / precision / recall against the test split. */
async function generatorSection(ctx: Context): Promise<Part> {
  const rows = ctx.summary.filter((s) => s.kind === 'replace' && s.generator);
  if (!rows.length) return { html: '', md: [] };
  const embeddings = [...new Set(rows.map((s) => s.generator!.embedding))];
  const embedding = embeddings.join(', ');
  const baseline = rows.find((s) => isBaseline(s));
  const sources = ctx.replaceSources.filter((src) => rows.some((s) => s.source === src));
  const fractions = [...new Set(rows.map((s) => s.fraction))].sort((a, b) => a - b);
  const plots: Part[] = [];
  for (const metric of ['fid', 'precision', 'recall'] as const) {
    const series: ErrorBarSeries[] = sources.map((source) => ({
      name: source,
      points: [
        ...(baseline ? [baseline] : []),
        ...rows.filter((s) => s.source === source && !isBaseline(s)),
      ].map((s) => ({ x: s.fraction, ...pick(s.generator![metric]) })),
    }));
    const label = { fid: 'FID', precision: 'precision', recall: 'recall' }[metric];
    const plot = await errorBarPlot({
      title: `${label} of the generator fitted on each mix`,
      sources: [ctx.table.table, ctx.table.datasets.test],
      xTitle: 'fraction r of R replaced',
      yTitle: `${label} (${embedding})`,
      legendTitle: 'other source',
      xTicks: fractions,
      xFormat: '.0%',
      series,
    });
    plots.push(
      plotFigure(
        ctx,
        `t3-${metric}`,
        plot,
        `${label} against the real test split in the embedding ${embedding}, mean +- standard error over seeds.`,
      ),
    );
  }
  const cells = rows.map((s) => {
    const paper = s.source === 'S' || isBaseline(s) ? paperGeneratorMetrics(s.fraction) : undefined;
    return [
      nameOf(s),
      percent(s.fraction) + '%',
      String(s.generator!.fid.n),
      formatValue(s.generator!.fid),
      formatValue(s.generator!.precision, { digits: 3 }),
      formatValue(s.generator!.recall, { digits: 3 }),
      s.generator!.embedding,
      paper ? `${paper.fid} / ${paper.precision} / ${paper.recall} (${paper.ref})` : '-',
    ];
  });
  return sectionPart(
    't3',
    'T3: generators fitted on each mix (paper Table 3)',
    textPart(
      `Expected (the paper's trend): the more of S in the training set, the higher the precision and the lower the recall of the generator fitted on it, while FID may even improve: never judge by FID alone. Embedding: \`${embedding}\`; precision and recall with k-NN radii, k from the spec (the paper: k = 5).`,
    ),
    figuresPart(plots),
    tablePart(
      [
        { title: 'mix', left: true },
        'r',
        'seeds',
        'FID',
        'precision',
        'recall',
        { title: 'embedding', left: true },
        { title: 'paper: FID / precision@5 / recall@5 (T3)', paper: true },
      ],
      cells,
      `Mean +- standard error over seeds. ${PAPER_NOTE}`,
    ),
    paperTablePart(
      TABLE_3,
      ['mix', 'FID (IN / WV)', 'precision@5 (IN / WV)', 'recall@5 (IN / WV)'],
      TABLE_3.rows.map((r) => [
        r.mix,
        r.fid.join(' / '),
        r.precision.join(' / '),
        r.recall.join(' / '),
      ]),
    ),
  );
}

/**
 * A digest's first 12 hex digits, for tables (the CSV files hold them whole); `-` for a digest a
 * run did not record (runs before the metrics digests were recorded).
 */
const short = (digest: string | undefined) => (digest ? `${digest.slice(0, 12)}…` : '-');

function pick(v: MeanSe) {
  return { mean: v.mean, se: v.se, n: v.n };
}

/** T4/T5: precision and recall of R-train and of S (at each temperature) against the test split. */
function diversitySection(ctx: Context): Part {
  const rows = ctx.table.diversity ?? [];
  if (!rows.length) return { html: '', md: [] };
  const paperOf = (set: string, temperature: number | null) => {
    if (temperature === null) return TABLE_4.rows[0];
    if (set.startsWith('S') && temperature === ctx.table.temperature) return TABLE_4.rows[1];
    return undefined;
  };
  const cells = rows.map((d) => {
    const paper = paperOf(d.set, d.temperature);
    return [
      d.set,
      d.temperature === null ? '-' : String(d.temperature),
      d.fid.toFixed(2),
      d.precision.toFixed(3),
      d.recall.toFixed(3),
      d.embedding,
      short(d.dataset),
      short(d.report),
      paper ? `${paper.precision} / ${paper.recall} (Table 4, ${paper.set})` : '-',
    ];
  });
  return sectionPart(
    't4',
    'T4/T5: diversity of real and generated sets (paper Tables 4 and 5)',
    textPart(
      `Each set against the real test split. Expected (the paper's Table 4): S has higher precision and much lower recall than R; a more diverse generator (the paper: more varied prompts, Table 5; here: a higher sampling temperature) gains recall but stays below real images. S of the mixes was sampled at temperature ${ctx.table.temperature}.`,
    ),
    tablePart(
      [
        { title: 'set', left: true },
        'temperature',
        'FID',
        'precision',
        'recall',
        { title: 'embedding', left: true },
        { title: 'dataset', left: true },
        { title: 'report', left: true },
        { title: 'paper: precision / recall (T4)', paper: true },
      ],
      cells,
      `One evaluation per set; digests in full in diversity.csv. ${PAPER_NOTE}`,
    ),
    paperTablePart(
      TABLE_4,
      ['set', 'precision', 'recall'],
      TABLE_4.rows.map((r) => [r.set, r.precision, r.recall]),
    ),
    paperTablePart(
      TABLE_5,
      ['training set', 'ResNet-50', 'Swin-S', 'ConvNeXt-T'],
      TABLE_5.rows.map((r) => [r.set, r.resnet50, r.swinS, r.convnextT]),
    ),
  );
}

/** Summary rows of some kinds as a table: accuracy per test set beside the paper's. */
function accuracyTable(
  ctx: Context,
  rows: Summary[],
  fractionTitle: string,
  caption: string,
): Part {
  return tablePart(
    [
      { title: 'mix', left: true },
      { title: 'kind', left: true },
      { title: 'source', left: true },
      fractionTitle,
      'seeds',
      CLEAN,
      { title: 'paper: ResNet-50', paper: true },
      ...ctx.shifts,
    ],
    rows.map((s) => [
      nameOf(s),
      s.kind,
      s.source,
      percent(s.fraction) + '%',
      String(s.accuracy.n),
      formatMeanSe(s.accuracy),
      paperCell(paperAccuracy(s.kind, ctx.paperSource(s.source), s.fraction)),
      ...ctx.shifts.map((label) => formatMeanSe(s.shifted[label]!)),
    ]),
    caption,
  );
}

/** T7: a p% subsample of R alone, and the same subsample filled up to |R| with S or a control. */
async function sizeControlSection(ctx: Context): Promise<Part> {
  const rows = ctx.summary.filter((s) => s.kind === 'subsample' || s.kind === 'fill');
  if (!rows.length) return { html: '', md: [] };
  const rank = sourceRank(ctx.table.controls ?? []);
  const fillSources = [...new Set(rows.filter((s) => s.kind === 'fill').map((s) => s.source))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  const series: ErrorBarSeries[] = [
    ...(rows.some((s) => s.kind === 'subsample')
      ? [
          {
            name: 'R alone',
            points: rows
              .filter((s) => s.kind === 'subsample')
              .map((s) => point(s.fraction, s.accuracy)),
          },
        ]
      : []),
    ...accuracySeries(ctx, ['fill'], fillSources, CLEAN, { label: (s) => `filled with ${s}` }),
  ];
  const plot = await errorBarPlot({
    title: 'Accuracy of a p% subsample of R, alone or filled up to |R|',
    sources: [ctx.table.table, ctx.table.datasets.test],
    xTitle: 'fraction p of R kept',
    yTitle: 'accuracy on test (%)',
    legendTitle: 'training set',
    xTicks: [...new Set(rows.map((s) => s.fraction))].sort((a, b) => a - b),
    xFormat: '.0%',
    yDomain: yRange(series),
    series,
  });
  return sectionPart(
    't7',
    'T7: subsampled R alone vs filled up (paper Table 7)',
    textPart(
      'Does filling a small real training set back up to |R| help, and does it matter whether the filling is generated or real? The paper: a 5% ImageNet subsample gains 7.4 points when filled with generated images, less than when filled with WebVision.',
    ),
    plotFigure(
      ctx,
      't7-accuracy',
      plot,
      'Accuracy (%) on the clean test set, mean +- standard error over seeds.',
    ),
    accuracyTable(ctx, rows, 'p', `Accuracy (%), mean +- standard error over seeds. ${PAPER_NOTE}`),
    paperTablePart(
      TABLE_7,
      ['mix', 'ResNet-50'],
      TABLE_7.rows.map((r) => [r.mix, r.resnet50]),
    ),
  );
}

/** T8: all of R plus extra images from S (or a control) amounting to +p% of |R|. */
async function appendSection(ctx: Context): Promise<Part> {
  const appended = ctx.summary.filter((s) => s.kind === 'append');
  if (!appended.length) return { html: '', md: [] };
  const baseline = ctx.summary.find((s) => isBaseline(s));
  const rank = sourceRank(ctx.table.controls ?? []);
  const sources = [...new Set(appended.map((s) => s.source))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  const series = accuracySeries(ctx, ['append'], sources, CLEAN, {
    baseline,
    label: (s) => `R + ${s}`,
  });
  const plot = await errorBarPlot({
    title: 'Accuracy of all of R plus p% more images',
    sources: [ctx.table.table, ctx.table.datasets.test],
    xTitle: 'images appended, fraction p of |R|',
    yTitle: 'accuracy on test (%)',
    legendTitle: 'training set',
    xTicks: [...new Set([0, ...appended.map((s) => s.fraction)])].sort((a, b) => a - b),
    xFormat: '.0%',
    yDomain: yRange(series),
    series,
  });
  return sectionPart(
    't8',
    'T8: R plus appended images (paper Table 8)',
    textPart(
      'Expected (the paper): appending generated images to all of the real data gains nothing, however many.',
    ),
    plotFigure(
      ctx,
      't8-accuracy',
      plot,
      'Accuracy (%) on the clean test set, mean +- standard error over seeds; p = 0 is R itself.',
    ),
    accuracyTable(
      ctx,
      [...(baseline ? [baseline] : []), ...appended],
      'p',
      `Accuracy (%), mean +- standard error over seeds. ${PAPER_NOTE}`,
    ),
    paperTablePart(
      TABLE_8,
      ['mix', 'ResNet-50'],
      TABLE_8.rows.map((r) => [r.mix, r.resnet50]),
    ),
  );
}

/** The sample grids (R, S, every control, the test sets), copied next to the report. */
async function gridSection(ctx: Context): Promise<Part> {
  const grids = Object.entries(ctx.table.grids ?? {});
  if (!grids.length) return { html: '', md: [] };
  mkdirSync(join(ctx.dir, 'grids'), { recursive: true });
  const items: GalleryItem[] = [];
  const md: string[] = [];
  const used = new Set<string>();
  for (const [label, digest] of grids) {
    let name = fileSafeName(label);
    for (let i = 2; used.has(name); i++) name = `${fileSafeName(label)}-${i}`;
    used.add(name);
    const src = `grids/${name}.png`;
    let bytes: Buffer;
    try {
      bytes = await ctx.store.get(digest);
    } catch {
      md.push(`- ${mdText(label)}: ${mdCode(digest)} (not found in the store)`);
      items.push({ src, label: markup`${label} (not found in the store)`, sources: [digest] });
      continue;
    }
    writeFileSync(join(ctx.dir, src), bytes);
    items.push({ src, label, width: pngSize(bytes)?.width, sources: [digest] });
    md.push(`![${mdText(label)}](${src})`, '', `${mdText(label)}: ${mdCode(digest)}`, '');
  }
  return sectionPart(
    'grids',
    'Sample grids',
    textPart('Click a grid for the PNG at full resolution.'),
    { html: gallery(items), md },
  );
}

/** results.csv (one line per seed and training set), summary.csv, per-class.csv, diversity.csv. */
function writeCsvFiles(ctx: Context): Part {
  const { table, shifts } = ctx;
  const generator = (r: ContaminationRow) => r.generator;
  const write = (name: string, header: string[], rows: CsvValue[][]) =>
    writeFileSync(join(ctx.dir, name), csvText(header, rows));
  write(
    'results.csv',
    [
      'seed',
      'kind',
      'source',
      'fraction',
      'mix_name',
      'from_real',
      'from_other',
      'accuracy',
      ...shifts.map((s) => `accuracy:${s}`),
      'generator_fid',
      'generator_precision',
      'generator_recall',
      'generator_embedding',
      'steps',
      'mix',
      'model',
      'report',
      'generator_model',
      'generator_report',
    ],
    table.rows.map((r) => [
      r.seed,
      r.kind,
      r.source,
      r.fraction,
      mixName(r.kind, r.source, r.fraction),
      r.fromReal,
      r.fromOther,
      r.accuracy,
      ...shifts.map((s) => r.shifted[s]),
      generator(r)?.fid,
      generator(r)?.precision,
      generator(r)?.recall,
      generator(r)?.embedding,
      r.steps,
      r.mix,
      r.model,
      r.report,
      generator(r)?.model,
      generator(r)?.report,
    ]),
  );
  const stat = (v: MeanSe | undefined) => [v?.mean, v?.se];
  write(
    'summary.csv',
    [
      'kind',
      'source',
      'fraction',
      'mix_name',
      'seeds',
      'accuracy_mean',
      'accuracy_se',
      ...shifts.flatMap((s) => [`${s}_mean`, `${s}_se`]),
      'generator_fid_mean',
      'generator_fid_se',
      'generator_precision_mean',
      'generator_precision_se',
      'generator_recall_mean',
      'generator_recall_se',
      'generator_embedding',
      'paper_accuracy',
      'paper_reference',
    ],
    ctx.summary.map((s) => {
      const paper = paperAccuracy(s.kind, ctx.paperSource(s.source), s.fraction);
      return [
        s.kind,
        s.source,
        s.fraction,
        nameOf(s),
        s.accuracy.n,
        ...stat(s.accuracy),
        ...shifts.flatMap((label) => stat(s.shifted[label])),
        ...stat(s.generator?.fid),
        ...stat(s.generator?.precision),
        ...stat(s.generator?.recall),
        s.generator?.embedding,
        paper?.value,
        paper && `${paper.ref} (${HATAYA_2023.setting})`,
      ];
    }),
  );
  const classes = [...ctx.reports.values()].find((r) => r)?.classes ?? [];
  write(
    'per-class.csv',
    ['seed', 'kind', 'source', 'fraction', 'mix_name', 'class_index', 'class', 'accuracy'],
    table.rows.flatMap((r) =>
      r.perClassAccuracy.map((a, c) => [
        r.seed,
        r.kind,
        r.source,
        r.fraction,
        mixName(r.kind, r.source, r.fraction),
        c,
        classes[c],
        a,
      ]),
    ),
  );
  write(
    'diversity.csv',
    ['set', 'temperature', 'fid', 'precision', 'recall', 'embedding', 'dataset', 'report'],
    (table.diversity ?? []).map((d) => [
      d.set,
      d.temperature,
      d.fid,
      d.precision,
      d.recall,
      d.embedding,
      d.dataset,
      d.report,
    ]),
  );
  const files = [
    ['results.csv', 'one line per seed and training set, every test set and generator metric'],
    ['summary.csv', 'mean and standard error over seeds per training set, the paper number beside'],
    ['per-class.csv', 'per-class accuracy per seed and training set'],
    ['diversity.csv', 'T4/T5 precision and recall per set'],
  ] as const;
  return sectionPart('files', 'Files', {
    html: list(files.map(([f, what]) => markup`${link(f, f)}: ${what}`)),
    md: files.map(([f, what]) => `- [${f}](${f}): ${what}`),
  });
}
