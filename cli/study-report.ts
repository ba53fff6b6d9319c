import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import type { GenerationRow } from '../workflows/studies/generations.ts';
import type { GenerationsTable } from './generations-table.ts';

/**
 * Writes a study's report to `dir`: index.html (metric table, FID/precision/recall plots per alpha,
 * sample grids), report.md, metrics.csv and the grid PNGs. Returns the HTML path.
 */
export async function writeGenerationsReport(
  result: GenerationsTable,
  store: ArtifactStore,
  dir: string,
  workflowId: string,
): Promise<string> {
  mkdirSync(join(dir, 'grids'), { recursive: true });
  for (const row of result.rows) {
    if (row.grid) writeFileSync(join(dir, 'grids', gridName(row)), await store.get(row.grid));
  }
  const columns = [
    'alpha',
    'generation',
    'trainedOn',
    'samples',
    'fid',
    'precision',
    'recall',
    'classHistogramDistance',
    'metrics',
  ] as const;
  writeFileSync(
    join(dir, 'metrics.csv'),
    [columns.join(','), ...result.rows.map((r) => columns.map((c) => String(r[c])).join(','))].join(
      '\n',
    ) + '\n',
  );

  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  const md = [
    `# ${result.name}: generational retraining (Martinez et al., 2023)`,
    '',
    `Workflow \`${workflowId}\`. Metrics against the real test split in the embedding \`${result.embeddingId}\` (artifact \`${result.embedding}\`); generation 0 is the real D_0.`,
    '',
    '| alpha | g | trained on | samples | FID | precision | recall | class TV |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...result.rows.map(
      (r) =>
        `| ${r.alpha} | ${r.generation} | ${r.trainedOn} | ${r.samples} | ${fmt(r.fid)} | ${fmt(r.precision)} | ${fmt(r.recall)} | ${fmt(r.classHistogramDistance)} |`,
    ),
    '',
    ...result.rows
      .filter((r) => r.grid)
      .map((r) => `![alpha ${r.alpha}, generation ${r.generation}](grids/${gridName(r)})`),
  ].join('\n');
  writeFileSync(join(dir, 'report.md'), md + '\n');

  const alphas = [...new Set(result.rows.map((r) => r.alpha))];
  const plots = (['fid', 'precision', 'recall'] as const).map((metric) =>
    linePlot(
      metric,
      alphas.map((a) => ({
        label: `alpha ${a}`,
        points: result.rows
          .filter((r) => r.alpha === a)
          .map((r) => [r.generation, r[metric]] as const),
      })),
    ),
  );
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escape(result.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
.grids{display:flex;flex-wrap:wrap;gap:12px}.grids figure{margin:0}.grids img{image-rendering:pixelated;width:220px}svg{margin-right:16px}</style></head><body>
<h1>${escape(result.name)}: generational retraining</h1>
<p>Workflow <code>${escape(workflowId)}</code>. FID, improved precision and recall (k from the spec) against the real test split in the embedding <code>${escape(result.embeddingId)}</code> (artifact <code>${escape(result.embedding)}</code>). Generation 0 is the real D<sub>0</sub>.</p>
<div>${plots.join('')}</div>
<table><tr><th>alpha</th><th>g</th><th>trained on</th><th>samples</th><th>FID</th><th>precision</th><th>recall</th><th>class TV</th></tr>
${result.rows.map((r) => `<tr><td>${r.alpha}</td><td>${r.generation}</td><td>${r.trainedOn}</td><td>${r.samples}</td><td>${fmt(r.fid)}</td><td>${fmt(r.precision)}</td><td>${fmt(r.recall)}</td><td>${fmt(r.classHistogramDistance)}</td></tr>`).join('\n')}
</table>
${alphas
  .map(
    (a) =>
      `<h2>alpha = ${a}</h2><div class="grids">${result.rows
        .filter((r) => r.alpha === a && r.grid)
        .map(
          (r) =>
            `<figure><img src="grids/${gridName(r)}"><figcaption>generation ${r.generation}</figcaption></figure>`,
        )
        .join('')}</div>`,
  )
  .join('\n')}
</body></html>\n`;
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}

function gridName(r: GenerationRow): string {
  return `alpha-${r.alpha}-g${r.generation}.png`;
}

function escape(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
}

/** A small SVG line plot of one metric against the generation, one line per series. */
function linePlot(
  title: string,
  series: { label: string; points: (readonly [number, number])[] }[],
): string {
  const W = 320;
  const H = 200;
  const pad = 36;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys, 1e-9)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0)) * (W - 2 * pad);
  const sy = (y: number) => H - pad - ((y - y0) / (y1 - y0)) * (H - 2 * pad);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const lines = series.map(
    (s, i) =>
      `<polyline fill="none" stroke="${colours[i % colours.length]}" stroke-width="2" points="${s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/><text x="${W - pad - 60}" y="${pad + 14 * i}" fill="${colours[i % colours.length]}" font-size="11">${escape(s.label)}</text>`,
  );
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><text x="${pad}" y="16" font-size="13">${escape(title)} vs generation</text><line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#888"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#888"/><text x="${pad - 4}" y="${sy(y1) + 4}" font-size="10" text-anchor="end">${y1.toPrecision(3)}</text><text x="${pad - 4}" y="${sy(y0)}" font-size="10" text-anchor="end">${y0.toPrecision(3)}</text>${xs.length ? `<text x="${sx(x1)}" y="${H - pad + 14}" font-size="10">${x1}</text>` : ''}${lines.join('')}</svg>`;
}
