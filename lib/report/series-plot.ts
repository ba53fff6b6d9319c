import { renderPlot, type Plot, type PlotOptions } from './plot.ts';

/** A point of a line; `lo` and `hi` (both or neither) bound a band around it, e.g. mean +- sd. */
export interface SeriesPoint {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

export interface LineSeries {
  name: string;
  points: readonly SeriesPoint[];
}

export interface SeriesPlotOptions extends PlotOptions {
  series: readonly LineSeries[];
  xTitle: string;
  yTitle: string;
  yScale?: 'linear' | 'log';
  legendTitle?: string;
  /** Tick values of the x axis (default: Vega's) and their d3 format (e.g. `d`). */
  xTicks?: readonly number[];
  xFormat?: string;
  /** Mark each data point on the lines (default false: spectra have many). */
  points?: boolean;
}

/**
 * Lines of y against x, one per series (mark `lines`), each with an optional translucent band
 * from lo to hi (mark `bands`): e.g. azimuthally averaged power spectra of real and generated
 * images, x the radius (spatial frequency), the band +-1 standard deviation.
 */
export async function seriesPlot(o: SeriesPlotOptions): Promise<Plot> {
  const values = o.series.flatMap((s) =>
    s.points.map((p) => ({
      series: s.name,
      x: p.x,
      y: p.y,
      lo: p.lo ?? null,
      hi: p.hi ?? null,
    })),
  );
  const names = o.series.map((s) => s.name);
  const yScale = o.yScale === 'log' ? { type: 'log' as const } : { zero: false };
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: o.xTitle,
    scale: { zero: false },
    axis: {
      ...(o.xTicks ? { values: [...o.xTicks] } : {}),
      ...(o.xFormat ? { format: o.xFormat } : {}),
    },
  };
  const color = {
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: names },
    // one legend for lines and bands, drawn as the lines (not the translucent bands)
    legend: {
      title: o.legendTitle ?? 'series',
      symbolType: 'stroke',
      symbolOpacity: 1,
      symbolStrokeWidth: 2,
    },
  };
  const layer = [
    {
      name: 'lines',
      mark: { type: 'line' as const, strokeWidth: 2, point: o.points ?? false },
      encoding: {
        x,
        y: { field: 'y', type: 'quantitative' as const, title: o.yTitle, scale: yScale },
        color,
      },
    },
  ];
  const bands = values.some((v) => v.lo !== null && v.hi !== null)
    ? [
        {
          name: 'bands',
          transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
          mark: { type: 'area' as const, opacity: 0.2 },
          encoding: {
            x,
            y: { field: 'lo', type: 'quantitative' as const, title: o.yTitle, scale: yScale },
            y2: { field: 'hi' },
            color,
          },
        },
      ]
    : [];
  return renderPlot(
    {
      width: o.width ?? 360,
      height: o.height ?? 240,
      data: { values },
      layer: [...bands, ...layer],
    },
    o,
  );
}
