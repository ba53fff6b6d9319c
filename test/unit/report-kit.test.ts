// The report kit (lib/report): HTML escaping and helpers, CSV and markdown cells, the plots
// rendered to SVG by Vega-Lite + Vega in Node (axis titles, tick labels, legends and the marks
// counted in the SVG), the statistics over seeds and the paper's reference numbers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvCell, csvText } from '../../lib/report/csv.ts';
import { errorBarPlot } from '../../lib/report/error-bar-plot.ts';
import { heatmap } from '../../lib/report/heatmap.ts';
import { binEdges, histogram, histogramCounts } from '../../lib/report/histogram.ts';
import {
  escapeHtml,
  figure,
  gallery,
  markup,
  page,
  render,
  section,
  table,
  trustedHtml,
} from '../../lib/report/html.ts';
import { mdCode, mdTable, mdText } from '../../lib/report/markdown.ts';
import {
  paperAccuracy,
  paperGeneratorMetrics,
  paperRobustness,
} from '../../lib/report/paper-reference/hataya-2023.ts';
import { pngSize } from '../../lib/report/png-size.ts';
import { seriesPlot } from '../../lib/report/series-plot.ts';
import { formatMeanSe, meanSe } from '../../lib/report/stats.ts';
import { fileSafeName, writePlot } from '../../lib/report/write-plot.ts';

/** The items of the mark group named `name` in a Vega SVG: one element per mark item. */
function marks(svg: string, name: string): string[] {
  const open = new RegExp(`<g class="mark-[a-z]+ role-mark ${name}_marks"[^>]*>`).exec(svg);
  if (!open) return [];
  const body = svg.slice(open.index + open[0].length, svg.indexOf('</g>', open.index));
  return body.match(/<(line|path|text)\b[^>]*>/g) ?? [];
}

/** The texts of one role's groups (e.g. `axis-title`, `axis-label`, `legend-label`). */
function texts(svg: string, role: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<g class="mark-text role-${role}"[^>]*>(.*?)</g>`, 'g');
  for (const m of svg.matchAll(re))
    for (const t of m[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)) out.push(t[1]!);
  return out;
}

/** Texts of the items of a mark group. */
function markTexts(svg: string, name: string): string[] {
  const open = new RegExp(`<g class="mark-text role-mark ${name}_marks"[^>]*>`).exec(svg);
  if (!open) return [];
  const body = svg.slice(open.index + open[0].length, svg.indexOf('</g>', open.index));
  return [...body.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('escapeHtml and the HTML helpers', () => {
  it('escapes the five characters, and already-escaped text again (it is text, not HTML)', () => {
    expect(escapeHtml('a < b')).toBe('a &lt; b');
    expect(escapeHtml('R & D')).toBe('R &amp; D');
    expect(escapeHtml('"quoted" and \'single\'')).toBe('&quot;quoted&quot; and &#39;single&#39;');
    expect(escapeHtml('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeHtml('&amp; &lt;')).toBe('&amp;amp; &amp;lt;');
    expect(escapeHtml('plain text, 100%')).toBe('plain text, 100%');
    expect(escapeHtml('')).toBe('');
  });

  it('the html tag escapes what it interpolates, but not trusted markup or other helpers', () => {
    const name = '<b>&';
    expect(render(markup`<p>${name}</p>`)).toBe('<p>&lt;b&gt;&amp;</p>');
    expect(render(markup`<p>${trustedHtml('<i>x</i>')}</p>`)).toBe('<p><i>x</i></p>');
    expect(render(markup`<p>${[1, ' < ', null, false, undefined, 2]}</p>`)).toBe('<p>1 &lt; 2</p>');
    expect(render(section('A < B', 'x & y', { id: 's"1' }))).toBe(
      '<section id="s&quot;1"><h2>A &lt; B</h2>\nx &amp; y\n</section>\n',
    );
  });

  it('a page escapes its title; a table marks paper columns and escapes cells', () => {
    const p = page('study <1> & "2"', 'body');
    expect(p).toContain('<title>study &lt;1&gt; &amp; &quot;2&quot;</title>');
    expect(p).toContain('<h1>study &lt;1&gt; &amp; &quot;2&quot;</h1>');
    const t = render(
      table({
        columns: [{ title: 'mix', left: true }, 'ours', { title: 'paper', paper: true }],
        rows: [['R/S-20%', '80 +- 1', '74.5 (Table 1, IN/SD-20%)']],
        caption: 'a <caption>',
      }),
    );
    expect(t).toContain('<th class="left">mix</th><th>ours</th><th class="paper">paper</th>');
    expect(t).toContain(
      '<td class="left">R/S-20%</td><td>80 +- 1</td><td class="paper">74.5 (Table 1, IN/SD-20%)</td>',
    );
    expect(t).toContain('<caption>a &lt;caption&gt;</caption>');
  });

  it('a figure lists its digests; a gallery shows PNGs scaled up, pixelated, linked', () => {
    const f = render(
      figure({
        src: 'plots/a.svg',
        caption: 'Accuracy <%>',
        sources: ['d1', 'd2'],
        links: [{ href: 'plots/a.vl.json', text: 'spec' }],
      }),
    );
    expect(f).toContain('<img class="plot" src="plots/a.svg" alt="">');
    expect(f).toContain(
      '<figcaption>Accuracy &lt;%&gt;<br>Made from: <code>d1</code>, <code>d2</code>',
    );
    expect(f).toContain('<a href="plots/a.vl.json">spec</a>');
    const g = render(
      gallery([
        { src: 'grids/R.png', label: 'R', width: 100, sources: ['abc'] },
        { src: 'grids/big.png', label: 'big', width: 1000 },
      ]),
    );
    expect(g).toContain(
      '<a href="grids/R.png"><img src="grids/R.png" width="300" style="image-rendering:pixelated" alt=""></a>',
    );
    expect(g).toContain('width="560"');
    expect(g).toContain('<code>abc</code>');
  });
});

describe('CSV, markdown, statistics, PNG size', () => {
  it('quotes CSV cells that need it', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(0.25)).toBe('0.25');
    expect(csvCell(undefined)).toBe('');
    expect(csvText(['x', 'y'], [[1, 'a\nb']])).toBe('x,y\n1,"a\nb"\n');
  });

  it('escapes markdown text and table cells', () => {
    expect(mdText('a|b *c* <d>')).toBe('a\\|b \\*c\\* \\<d\\>');
    expect(mdCode('x|y')).toBe('`x\\|y`');
    expect(mdTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |');
  });

  it('mean and standard error worked by hand', () => {
    // 0.70, 0.80, 0.90: mean 0.8, s^2 = (0.01 + 0 + 0.01) / 2 = 0.01, se = 0.1 / sqrt(3)
    const v = meanSe([0.7, 0.8, 0.9]);
    expect(v.mean).toBeCloseTo(0.8, 15);
    expect(v.se).toBeCloseTo(0.1 / Math.sqrt(3), 15);
    expect(v.n).toBe(3);
    expect(formatMeanSe(v, { scale: 100 })).toBe('80.00 +- 5.77');
    expect(formatMeanSe(meanSe([0.5]))).toBe('0.50');
    expect(formatMeanSe(meanSe([]))).toBe('-');
  });

  it("reads a PNG's size from its header", () => {
    const png = Buffer.alloc(24);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
    png.writeUInt32BE(13, 8);
    png.write('IHDR', 12, 'latin1');
    png.writeUInt32BE(280, 16);
    png.writeUInt32BE(56, 20);
    expect(pngSize(png)).toEqual({ width: 280, height: 56 });
    expect(pngSize(Buffer.from('not a png at all, certainly'))).toBeUndefined();
  });
});

describe('plots: Vega-Lite specs rendered to SVG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clab-report-kit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a line plot with error bars: titles, ticks, legend, one error bar per point', async () => {
    const plot = await errorBarPlot({
      title: 'Accuracy vs r',
      sources: ['aaa111', 'bbb222'],
      xTitle: 'fraction r replaced',
      yTitle: 'accuracy (%)',
      legendTitle: 'other source',
      xFormat: '.0%',
      series: [
        {
          name: 'S',
          points: [
            { x: 0, mean: 80, se: 1 },
            { x: 0.4, mean: 76, se: 0.5 },
            { x: 1, mean: 40, se: 2 },
          ],
        },
        {
          name: 'C & <web>',
          points: [
            { x: 0, mean: 80, se: 1 },
            { x: 0.4, mean: 78, se: 0.7 },
            { x: 1, mean: 70, se: 1.5 },
          ],
        },
      ],
    });
    expect(texts(plot.svg, 'axis-title')).toEqual(['fraction r replaced', 'accuracy (%)']);
    expect(texts(plot.svg, 'axis-label')).toEqual(expect.arrayContaining(['0%', '40%', '100%']));
    expect(texts(plot.svg, 'legend-title')).toEqual(['other source']);
    expect(texts(plot.svg, 'legend-label')).toEqual(['S', 'C &amp; &lt;web&gt;']);
    expect(texts(plot.svg, 'title-text')).toEqual(['Accuracy vs r']);
    expect(marks(plot.svg, 'errorbars')).toHaveLength(6);
    expect(marks(plot.svg, 'points')).toHaveLength(6);
    expect(marks(plot.svg, 'lines')).toHaveLength(1); // the first series' path; one group each
    expect(plot.svg.match(/class="mark-line role-mark lines_marks"/g)).toHaveLength(2);
    // an error bar spans mean - se to mean + se: the S point at r = 1 has 4 points of height
    expect(plot.spec.description).toBe('Accuracy vs r. Made from: aaa111, bbb222');
    expect(plot.svg).toContain('<desc>Accuracy vs r. Made from: aaa111, bbb222</desc>');

    // a point without a finite error has no bar
    const single = await errorBarPlot({
      title: 't',
      sources: [],
      xTitle: 'x',
      yTitle: 'y',
      series: [
        {
          name: 'a',
          points: [
            { x: 0, mean: 1, se: NaN },
            { x: 1, mean: 2, se: 0.1 },
          ],
        },
      ],
    });
    expect(marks(single.svg, 'errorbars')).toHaveLength(1);

    const files = writePlot(dir, 'accuracy <r>', plot);
    expect(files).toEqual({ svg: 'plots/accuracy-r-.svg', spec: 'plots/accuracy-r-.vl.json' });
    expect(readFileSync(join(dir, files.svg), 'utf8')).toBe(plot.svg);
    const spec = JSON.parse(readFileSync(join(dir, files.spec), 'utf8')) as {
      $schema: string;
      description: string;
    };
    expect(spec.$schema).toContain('vega-lite');
    expect(spec.description).toContain('aaa111');
    expect(fileSafeName('../x y')).toBe('x-y');
  });

  it('a heatmap: one cell per matrix entry, each with its number', async () => {
    const values = [
      [50, 2, 8],
      [0, 60, 0],
      [10, 1, 49],
    ];
    const plot = await heatmap({
      title: 'Confusion',
      sources: ['r1', 'r2'],
      rows: ['T-shirt', 'Trouser', 'Pullover'],
      columns: ['T-shirt', 'Trouser', 'Pullover'],
      values,
      xTitle: 'predicted class',
      yTitle: 'true class',
    });
    expect(marks(plot.svg, 'cells')).toHaveLength(9);
    expect(markTexts(plot.svg, 'labels')).toEqual(values.flat().map(String));
    // each cell's label names its row, column and value
    const cell = marks(plot.svg, 'cells').find((c) => c.includes('predicted class: Trouser'))!;
    expect(cell).toContain('true class: T-shirt');
    expect(cell).toContain('count: 2');
    expect(texts(plot.svg, 'axis-title').sort()).toEqual(['predicted class', 'true class']);
    expect(texts(plot.svg, 'axis-label')).toEqual(
      expect.arrayContaining(['T-shirt', 'Trouser', 'Pullover']),
    );
    const fractions = await heatmap({
      title: 'shares',
      sources: [],
      rows: ['a'],
      columns: ['b', 'c'],
      values: [[0.25, 0.75]],
      xTitle: 'x',
      yTitle: 'y',
    });
    expect(markTexts(fractions.svg, 'labels')).toEqual(['0.25', '0.75']);
    await expect(
      heatmap({
        title: 't',
        sources: [],
        rows: ['a'],
        columns: ['b'],
        values: [[1, 2]],
        xTitle: 'x',
        yTitle: 'y',
      }),
    ).rejects.toThrow('1 x 1 matrix');
  });

  it("a histogram: shared bins, each series' counts summing to its sample count", async () => {
    expect(histogramCounts([0, 0.5, 1, 1.5, 2, 2, 7, NaN], [0, 1, 2])).toEqual([2, 4]);
    expect(binEdges([3, 1, 2], 4)).toEqual([1, 1.5, 2, 2.5, 3]);
    const a = Array.from({ length: 200 }, (_, i) => Math.sin(i) ** 2);
    const b = Array.from({ length: 70 }, (_, i) => (i % 7) / 7);
    const plot = await histogram({
      title: 'Scores',
      sources: ['h1'],
      series: [
        { name: 'train vs train', values: a },
        { name: 'generated vs train', values: b },
      ],
      bins: 12,
      xTitle: 'cosine similarity',
    });
    const data = (plot.spec as unknown as { data: { values: { series: string; count: number }[] } })
      .data.values;
    const sum = (name: string) =>
      data.filter((d) => d.series === name).reduce((s, d) => s + d.count, 0);
    expect(sum('train vs train')).toBe(200);
    expect(sum('generated vs train')).toBe(70);
    expect(marks(plot.svg, 'bars')).toHaveLength(24);
    expect(texts(plot.svg, 'axis-title')).toEqual(['cosine similarity', 'count']);
    expect(texts(plot.svg, 'legend-label')).toEqual(['train vs train', 'generated vs train']);
  });

  it('a line plot of two series with a band (power spectra)', async () => {
    const line = (k: number) =>
      Array.from({ length: 8 }, (_, i) => ({ x: i, y: k / (i + 1), lo: k / (i + 2), hi: k / i }));
    const plot = await seriesPlot({
      title: 'Power spectra',
      sources: ['s1'],
      series: [
        { name: 'real', points: line(10) },
        { name: 'generated', points: line(8).map(({ x, y }) => ({ x, y })) },
      ],
      xTitle: 'radius (spatial frequency)',
      yTitle: 'power',
      yScale: 'log',
    });
    expect(texts(plot.svg, 'axis-title')).toEqual(['radius (spatial frequency)', 'power']);
    expect(texts(plot.svg, 'legend-label')).toEqual(['real', 'generated']);
    expect(plot.svg.match(/class="mark-line role-mark lines_marks"/g)).toHaveLength(2);
    expect(plot.svg.match(/class="mark-area role-mark bands_marks"/g)).toHaveLength(1);
  });
});

describe("the paper's reference numbers (Hataya et al. 2023)", () => {
  it('looks up Tables 1, 3, 6, 7 and 8 by kind, source and fraction', () => {
    expect(paperAccuracy('replace', null, 0)).toEqual({ value: 75.7, ref: 'Table 1, ImageNet' });
    expect(paperAccuracy('replace', 'generated', 0.4)?.value).toBe(72.6);
    expect(paperAccuracy('replace', 'generated', 1)?.value).toBe(15.7);
    expect(paperAccuracy('replace', 'real', 0.8)?.value).toBe(68.3);
    expect(paperAccuracy('replace', 'real', 0.5)).toBeUndefined();
    expect(paperAccuracy('subsample', null, 0.05)?.value).toBe(44.7);
    expect(paperAccuracy('fill', 'generated', 0.05)?.value).toBe(52.1);
    expect(paperAccuracy('fill', 'real', 0.05)?.value).toBe(61.4);
    expect(paperAccuracy('append', 'generated', 0.4)?.value).toBe(74.9);
    expect(paperAccuracy('append', 'real', 0.4)).toBeUndefined();
    expect(paperRobustness('imagenetA', 'real', 0.8)?.value).toBe(5.0);
    expect(paperGeneratorMetrics(0.8)).toMatchObject({ fid: 12.5, precision: 0.795, recall: 0.49 });
  });
});
