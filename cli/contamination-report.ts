import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import {
  formatMeanSe,
  mixName,
  shiftLabels,
  summarize,
  type ContaminationTable,
} from './contamination-table.ts';

/**
 * Writes a contamination study's report to `dir`: report.md and index.html (the summary table,
 * mean +- standard error over seeds), results.csv (one line per seed and mix) and summary.csv.
 * A first version: plots and the richer report kit come later. Returns the HTML path.
 */
export async function writeContaminationReport(
  table: ContaminationTable,
  _store: ArtifactStore,
  dir: string,
  workflowId: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const shifts = shiftLabels(table);
  const summary = summarize(table);

  const csvLine = (cells: (string | number)[]) => cells.map(String).join(',');
  writeFileSync(
    join(dir, 'results.csv'),
    [
      csvLine([
        'seed',
        'source',
        'fraction',
        'fromReal',
        'fromOther',
        'accuracy',
        ...shifts.map((s) => `accuracy:${s}`),
        'steps',
        'mix',
        'model',
        'report',
      ]),
      ...table.rows.map((r) =>
        csvLine([
          r.seed,
          r.source,
          r.fraction,
          r.fromReal,
          r.fromOther,
          r.accuracy,
          ...shifts.map((s) => r.shifted[s] ?? ''),
          r.steps,
          r.mix,
          r.model,
          r.report,
        ]),
      ),
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(dir, 'summary.csv'),
    [
      csvLine([
        'source',
        'fraction',
        'seeds',
        'accuracy_mean',
        'accuracy_se',
        ...shifts.flatMap((s) => [`${s}_mean`, `${s}_se`]),
      ]),
      ...summary.map((s) =>
        csvLine([
          s.source,
          s.fraction,
          s.accuracy.n,
          s.accuracy.mean,
          s.accuracy.se,
          ...shifts.flatMap((label) => [s.shifted[label]!.mean, s.shifted[label]!.se]),
        ]),
      ),
    ].join('\n') + '\n',
  );

  const header = ['mix', 'source', 'r', 'test', ...shifts];
  const cells = summary.map((s) => [
    mixName(s.source, s.fraction),
    s.source,
    String(s.fraction),
    formatMeanSe(s.accuracy),
    ...shifts.map((label) => formatMeanSe(s.shifted[label]!)),
  ]);
  const { datasets } = table;
  const about = [
    `Workflow \`${workflowId}\`. Accuracy (%) of the downstream classifier trained on each mix, on the real test set and on shifted copies of it; mean +- standard error over the seeds.`,
    `R \`${datasets.real}\`, generator pool P \`${datasets.pool}\`, control C \`${datasets.control}\` (disjoint real sets); S \`${datasets.synthetic}\` sampled from the generator \`${table.generator}\` fitted on P at temperature ${table.temperature}; test set \`${datasets.test}\`. r = 0 is R itself (one model per seed, listed for both sources).`,
  ];
  const md = [
    `# ${table.name}: contamination mixes (Hataya et al., ICCV 2023)`,
    '',
    ...about,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...cells.map((c) => `| ${c.join(' | ')} |`),
    '',
    'One line per seed and mix: `results.csv`; the summary: `summary.csv`.',
  ].join('\n');
  writeFileSync(join(dir, 'report.md'), md + '\n');

  const code = (s: string) => escape(s).replace(/`([^`]*)`/g, '<code>$1</code>');
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escape(table.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body>
<h1>${escape(table.name)}: contamination mixes</h1>
${about.map((p) => `<p>${code(p)}</p>`).join('\n')}
<table><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>
${cells.map((c) => `<tr>${c.map((v) => `<td>${escape(v)}</td>`).join('')}</tr>`).join('\n')}
</table>
<p>One line per seed and mix: <a href="results.csv">results.csv</a>; the summary: <a href="summary.csv">summary.csv</a>.</p>
</body></html>\n`;
  const path = join(dir, 'index.html');
  writeFileSync(path, html);
  return path;
}

function escape(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
  );
}
