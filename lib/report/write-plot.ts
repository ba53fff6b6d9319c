import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plot } from './plot.ts';

/** The files of a written plot, relative to the report directory. */
export interface PlotFiles {
  svg: string;
  spec: string;
}

/** A file name made of letters, digits, `.`, `_` and `-` (anything else becomes `-`). */
export function fileSafeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '');
  return safe || 'plot';
}

/**
 * Writes `<subdir>/<name>.svg` and, beside it, the Vega-Lite spec `<name>.vl.json` (open it in
 * any Vega-Lite editor to re-plot). Returns both paths relative to `dir`.
 */
export function writePlot(dir: string, name: string, plot: Plot, subdir = 'plots'): PlotFiles {
  mkdirSync(join(dir, subdir), { recursive: true });
  const base = fileSafeName(name);
  const files = { svg: `${subdir}/${base}.svg`, spec: `${subdir}/${base}.vl.json` };
  writeFileSync(join(dir, files.svg), plot.svg);
  writeFileSync(join(dir, files.spec), JSON.stringify(plot.spec, null, 2) + '\n');
  return files;
}
