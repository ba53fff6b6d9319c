import { renderPlot, type Plot, type PlotOptions } from './plot.ts';

export interface HistogramSeries {
  name: string;
  values: readonly number[];
}

export interface HistogramOptions extends PlotOptions {
  series: readonly HistogramSeries[];
  /** A bin count over the range of all finite values (default 30), or explicit bin edges. */
  bins?: number | readonly number[];
  xTitle: string;
  /** Default `count` (`share` when normalized). */
  yTitle?: string;
  /** Each series' counts divided by its number of values, to compare series of other sizes. */
  normalize?: boolean;
  legendTitle?: string;
}

/** `bins` equal bins from the smallest to the largest finite value (one bin if they are equal). */
export function binEdges(values: readonly number[], bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`Expected a positive whole bin count, got ${bins}`);
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return [0, 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of finite) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return Array.from({ length: bins + 1 }, (_, i) =>
    i === bins ? hi : lo + ((hi - lo) * i) / bins,
  );
}

/**
 * Counts per bin [edges[i], edges[i+1]) with the last bin closed [.., edges[n]]; values outside
 * the edges and non-finite values are not counted.
 */
export function histogramCounts(values: readonly number[], edges: readonly number[]): number[] {
  const n = edges.length - 1;
  if (n < 1) throw new RangeError('Expected at least two bin edges');
  for (let i = 0; i < n; i++)
    if (!(edges[i]! < edges[i + 1]!))
      throw new RangeError('Expected strictly increasing bin edges');
  const counts = new Array<number>(n).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v) || v < edges[0]! || v > edges[n]!) continue;
    // the last edge i with edges[i] <= v (binary search), the top edge falling in the last bin
    let [a, b] = [0, n];
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (edges[m]! <= v) a = m;
      else b = m;
    }
    counts[a]!++;
  }
  return counts;
}

/**
 * Overlaid histograms on shared bins (mark `bars`, one bar per bin and series, translucent when
 * there are several series), counts binned here so that the spec holds them.
 */
export async function histogram(o: HistogramOptions): Promise<Plot> {
  const edges =
    typeof o.bins === 'object'
      ? [...o.bins]
      : binEdges(
          o.series.flatMap((s) => s.values),
          o.bins ?? 30,
        );
  const values = o.series.flatMap((s) => {
    const counts = histogramCounts(s.values, edges);
    const total = s.values.length;
    return counts.map((count, i) => ({
      series: s.name,
      start: edges[i]!,
      end: edges[i + 1]!,
      count,
      value: o.normalize ? (total ? count / total : 0) : count,
    }));
  });
  const names = o.series.map((s) => s.name);
  return renderPlot(
    {
      width: o.width ?? 360,
      height: o.height ?? 220,
      data: { values },
      layer: [
        {
          name: 'bars',
          mark: {
            type: 'bar',
            opacity: o.series.length > 1 ? 0.5 : 0.85,
            binSpacing: 0,
            stroke: 'white',
            strokeWidth: 0.3,
          },
          encoding: {
            x: {
              field: 'start',
              type: 'quantitative',
              title: o.xTitle,
              scale: { domain: [edges[0]!, edges[edges.length - 1]!], zero: false, nice: false },
            },
            x2: { field: 'end' },
            y: {
              field: 'value',
              type: 'quantitative',
              stack: null,
              title: o.yTitle ?? (o.normalize ? 'share' : 'count'),
            },
            y2: { datum: 0 },
            color: {
              field: 'series',
              type: 'nominal',
              scale: { domain: names },
              legend: { title: o.legendTitle ?? 'series' },
            },
          },
        },
      ],
    },
    o,
  );
}
