import { renderPlot, type Plot, type PlotOptions } from './plot.ts';

/** One point of a series: the mean over replicates and its standard error (NaN: no error bar). */
export interface ErrorBarPoint {
  x: number;
  mean: number;
  se: number;
  /** Replicates behind the mean. */
  n?: number;
}

export interface ErrorBarSeries {
  name: string;
  points: readonly ErrorBarPoint[];
}

export interface ErrorBarPlotOptions extends PlotOptions {
  xTitle: string;
  yTitle: string;
  series: readonly ErrorBarSeries[];
  /** The legend's title (default `series`). */
  legendTitle?: string;
  /** Tick values of the x axis (default: every x of the data). */
  xTicks?: readonly number[];
  /** d3 format of the x and y tick labels, e.g. `.0%` (defaults: Vega's). */
  xFormat?: string;
  yFormat?: string;
  /** The y axis's range (default: the data's, not forced to include 0). */
  yDomain?: readonly [number, number];
  /**
   * Shift the series sideways by a small fraction of the x range so that error bars at the same
   * x do not hide each other (default true; the ticks stay at the true values).
   */
  dodge?: boolean;
}

/**
 * Line plot of means with +-1 standard error bars, one line per series: a rule per point whose
 * error is finite (mark `errorbars`), the means as lines (`lines`) and points (`points`), colour
 * and shape per series with the legend to the right of the data.
 */
export async function errorBarPlot(o: ErrorBarPlotOptions): Promise<Plot> {
  const xs = o.series.flatMap((s) => s.points.map((p) => p.x));
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  // a single x gets a domain of +-|x| around it (+-1 around 0); several, 5% padding
  const single = x0 === x1;
  const span = single ? Math.abs(x0) || 1 : x1 - x0;
  const pad = single ? span : 0.05 * span;
  const k = o.series.length;
  // neighbouring series 1.2% of the axis apart
  const step = 0.012 * (x1 - x0 + 2 * pad);
  const shift = (i: number) => ((o.dodge ?? true) && k > 1 ? (i - (k - 1) / 2) * step : 0);
  const values = o.series.flatMap((s, i) =>
    s.points.map((p) => ({
      series: s.name,
      x: p.x,
      xPlot: p.x + shift(i),
      mean: p.mean,
      se: Number.isFinite(p.se) ? p.se : null,
      lo: Number.isFinite(p.se) ? p.mean - p.se : null,
      hi: Number.isFinite(p.se) ? p.mean + p.se : null,
      n: p.n ?? null,
    })),
  );
  const names = o.series.map((s) => s.name);
  const legend = { title: o.legendTitle ?? 'series' };
  const x = {
    field: 'xPlot',
    type: 'quantitative' as const,
    title: o.xTitle,
    scale: { domain: [x0 - pad, x1 + pad], nice: false, zero: false },
    axis: {
      values: [...(o.xTicks ?? [...new Set(xs)].sort((a, b) => a - b))],
      ...(o.xFormat ? { format: o.xFormat } : {}),
    },
  };
  const yScale = o.yDomain ? { domain: [...o.yDomain], zero: false } : { zero: false };
  const y = {
    field: 'mean',
    type: 'quantitative' as const,
    title: o.yTitle,
    scale: yScale,
    ...(o.yFormat ? { axis: { format: o.yFormat } } : {}),
  };
  const color = {
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: names },
    legend,
  };
  return renderPlot(
    {
      width: o.width ?? 360,
      height: o.height ?? 240,
      data: { values },
      layer: [
        {
          name: 'errorbars',
          transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: 'lo', type: 'quantitative', title: o.yTitle, scale: yScale },
            y2: { field: 'hi' },
            color,
          },
        },
        {
          name: 'lines',
          mark: { type: 'line', strokeWidth: 2 },
          encoding: { x, y, color, detail: { field: 'series', type: 'nominal' } },
        },
        {
          name: 'points',
          mark: { type: 'point', filled: true, size: 45, opacity: 1 },
          encoding: {
            x,
            y,
            color,
            shape: { field: 'series', type: 'nominal', scale: { domain: names }, legend },
          },
        },
      ],
    },
    o,
  );
}
