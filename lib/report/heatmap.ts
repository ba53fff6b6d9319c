import { renderPlot, type Plot, type PlotOptions } from './plot.ts';

export interface HeatmapOptions extends PlotOptions {
  /** Labels of the rows (top to bottom) and columns (left to right); distinct. */
  rows: readonly string[];
  columns: readonly string[];
  /** values[row][column]. */
  values: readonly (readonly number[])[];
  xTitle: string;
  yTitle: string;
  /** The colour legend's title (default `count`). */
  valueTitle?: string;
  /** d3 format of the numbers in the cells (default `d` for integers, else `.2f`). */
  format?: string;
  /** Side of a cell in pixels (default 32). */
  cellSize?: number;
}

/**
 * A matrix as coloured cells with each value written in its cell (mark `cells`, one rect per
 * entry; mark `labels`, one text per entry), e.g. a confusion matrix: rows the true classes,
 * columns the predicted ones. Rows and columns keep the given order.
 */
export async function heatmap(o: HeatmapOptions): Promise<Plot> {
  if (new Set(o.rows).size !== o.rows.length || new Set(o.columns).size !== o.columns.length)
    throw new RangeError('Heatmap row and column labels must be distinct');
  if (o.values.length !== o.rows.length || o.values.some((r) => r.length !== o.columns.length))
    throw new RangeError(
      `Expected a ${o.rows.length} x ${o.columns.length} matrix of values for the heatmap`,
    );
  const values = o.rows.flatMap((row, i) =>
    o.columns.map((column, j) => ({ row, column, value: o.values[i]![j]! })),
  );
  const finite = values.map((v) => v.value).filter(Number.isFinite);
  const max = finite.length ? Math.max(...finite) : 0;
  const format = o.format ?? (finite.every(Number.isInteger) ? 'd' : '.2f');
  const cell = o.cellSize ?? 32;
  const x = {
    field: 'column',
    type: 'ordinal' as const,
    title: o.xTitle,
    sort: [...o.columns],
    axis: { labelAngle: -45, grid: false },
  };
  const y = {
    field: 'row',
    type: 'ordinal' as const,
    title: o.yTitle,
    sort: [...o.rows],
    axis: { grid: false },
  };
  return renderPlot(
    {
      width: o.width ?? cell * o.columns.length,
      height: o.height ?? cell * o.rows.length,
      data: { values },
      encoding: { x, y },
      layer: [
        {
          name: 'cells',
          mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
          encoding: {
            color: {
              field: 'value',
              type: 'quantitative',
              title: o.valueTitle ?? 'count',
              scale: { scheme: 'blues', zero: true },
            },
          },
        },
        {
          name: 'labels',
          mark: { type: 'text', fontSize: Math.max(8, Math.min(12, cell / 3)) },
          encoding: {
            text: { field: 'value', type: 'quantitative', format },
            color: {
              condition: { test: `datum.value > ${max / 2}`, value: 'white' },
              value: 'black',
            },
          },
        },
      ],
    },
    o,
  );
}
