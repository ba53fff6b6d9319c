import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { escapeHtml } from './html.ts';

/**
 * A figure of a report: a Vega-Lite spec and the static SVG it renders to. `spec` is what a person
 * re-plots from (written beside the SVG by writePlot); its `description` lists `sources`, the
 * digests of the artifacts the figure was made from.
 */
export interface Plot {
  title: string;
  svg: string;
  spec: TopLevelSpec;
  sources: string[];
}

/** What every plot of the kit takes. */
export interface PlotOptions {
  title: string;
  /** Digests of the artifacts the plot is made from (shown in its caption and spec). */
  sources: readonly string[];
  /** The plotting area in pixels (legend and axes come on top). */
  width?: number;
  height?: number;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The description a plot's spec carries: its title and the artifacts it was made from. */
export function describePlot(title: string, sources: readonly string[]): string {
  return sources.length ? `${title}. Made from: ${sources.join(', ')}` : title;
}

/**
 * Compiles a Vega-Lite spec and renders it to SVG in Node (a headless Vega view: no browser, no
 * canvas; text widths are estimated). Sets the spec's schema, title, description (the options'
 * win over the spec's) and a plain white background; the SVG starts with a <title> and a <desc>
 * holding the same title and description, so the file alone says what it was made from.
 */
export async function renderPlot(
  spec: TopLevelSpec,
  options: Pick<PlotOptions, 'title' | 'sources'>,
): Promise<Plot> {
  const full = {
    background: 'white',
    ...spec,
    $schema: SCHEMA,
    title: options.title,
    description: describePlot(options.title, options.sources),
    config: {
      font: 'sans-serif',
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true },
      // labels are measured by estimate in Node: a generous limit keeps them whole
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right', labelLimit: 320 },
      title: { fontSize: 14, anchor: 'start' },
      ...((spec as { config?: object }).config ?? {}),
    },
  } as TopLevelSpec;
  const view = new View(parse(compile(full).spec), { renderer: 'none' });
  try {
    // the SVG file alone says what it shows and what it was made from
    const svg = (await view.toSVG()).replace(
      /^<svg[^>]*>/,
      (open) =>
        `${open}<title>${escapeHtml(options.title)}</title><desc>${escapeHtml(full.description!)}</desc>`,
    );
    return { title: options.title, svg, spec: full, sources: [...options.sources] };
  } finally {
    view.finalize();
  }
}
