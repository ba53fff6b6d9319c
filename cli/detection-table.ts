import { meanSe, type MeanSe } from '../lib/report/stats.ts';
import type { ArtifactStore } from '../lib/storage/artifact-store.ts';
import { getJson } from '../lib/storage/json-artifacts.ts';
import type {
  DetectionResult,
  DetectionRow,
  DetectorFeatureKind,
  DetectorModelKind,
  PowerSpectraReport,
} from '../lib/studies/detection-result.ts';
import { withTable, type WithTable } from '../lib/studies/study-table.ts';
import { formatTable } from './table.ts';

/** A detection study's result with its table and its spectra artifact read from the store. */
export type DetectionTable = WithTable<DetectionResult, DetectionRow> & {
  spectraReport: PowerSpectraReport;
};

/** One line of the summary: a detector (features x model) over the replicate seeds. */
export interface DetectorSummaryRow {
  features: DetectorFeatureKind;
  model: DetectorModelKind;
  accuracy: MeanSe;
  /** The Wilson 95% interval when there is one seed (several seeds: each seed's, in the rows). */
  interval?: { low: number; high: number };
  trainAccuracy: MeanSe;
}

const FEATURE_ORDER: Record<DetectorFeatureKind, number> = {
  pixels: 0,
  'log-spectrum': 1,
  embedding: 2,
};
const MODEL_ORDER: Record<DetectorModelKind, number> = { logistic: 0, mlp: 1 };

/** Reads the result's stored table and spectra; rows by features, then model, then seed. */
export async function loadDetectionTable(
  store: ArtifactStore,
  result: DetectionResult,
): Promise<DetectionTable> {
  const full = await withTable<DetectionResult, DetectionRow>(store, result);
  full.rows.sort(
    (a, b) =>
      FEATURE_ORDER[a.features] - FEATURE_ORDER[b.features] ||
      MODEL_ORDER[a.model] - MODEL_ORDER[b.model] ||
      a.seed - b.seed,
  );
  return { ...full, spectraReport: await getJson<PowerSpectraReport>(store, result.spectra) };
}

/** Mean +- standard error of the test accuracy over seeds, per detector, in the rows' order. */
export function summarizeDetectors(rows: readonly DetectionRow[]): DetectorSummaryRow[] {
  const groups = new Map<string, DetectionRow[]>();
  for (const row of rows) {
    const key = `${row.features}\n${row.model}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => ({
    features: group[0]!.features,
    model: group[0]!.model,
    accuracy: meanSe(group.map((r) => r.accuracy)),
    ...(group.length === 1 ? { interval: { low: group[0]!.low, high: group[0]!.high } } : {}),
    trainAccuracy: meanSe(group.map((r) => r.trainAccuracy)),
  }));
}

/** Percent with two decimals, `-` for NaN. */
export function percent(x: number): string {
  return Number.isFinite(x) ? (100 * x).toFixed(2) : '-';
}

/** `81.23 +- 0.40` (percent; the mean alone for a single seed). */
export function formatAccuracy(v: MeanSe): string {
  if (!Number.isFinite(v.mean)) return '-';
  return Number.isFinite(v.se) ? `${percent(v.mean)} +- ${percent(v.se)}` : percent(v.mean);
}

/** `[79.45, 83.01]` in percent. */
export function formatInterval(i: { low: number; high: number } | undefined): string {
  return i ? `[${percent(i.low)}, ${percent(i.high)}]` : '-';
}

/** One sentence on the spectra: how many images, the peak |z| and how many bins pass the threshold. */
export function spectraSentence(table: DetectionTable): string {
  const s = table.spectraReport;
  const { maxAbsZ, peakRadius } = table.spectraSummary;
  return `Power spectra of ${s.real.count} real and ${s.generated.count} generated images (${s.radii.length} radius bins): max |z| ${maxAbsZ.toFixed(2)} at radius ${peakRadius}; ${s.significantRadii.length} bin${s.significantRadii.length === 1 ? '' : 's'} above the Bonferroni threshold |z| > ${s.criticalZ.toFixed(2)} (family-wise 5%)${s.significantRadii.length ? `: radius ${s.significantRadii.join(', ')}` : ''}.`;
}

/** Prints the spectra's headline and the detectors' test accuracies (%). */
export function printDetectionTable(table: DetectionTable): void {
  const seeds = new Set(table.rows.map((r) => r.seed)).size;
  console.log(`${table.name}: ${spectraSentence(table)}`);
  const first = table.rows[0];
  console.log(
    `Detectors: test accuracy (%)${first ? ` on ${first.testPerClass} real + ${first.testPerClass} generated held-out images, trained on ${first.trainPerClass} + ${first.trainPerClass}` : ''}; ${seeds === 1 ? 'one seed, Wilson 95% interval' : `mean +- standard error over ${seeds} seeds`}`,
  );
  console.log(
    formatTable(
      ['FEATURES', 'MODEL', 'ACCURACY', ...(seeds === 1 ? ['95% CI'] : []), 'TRAIN'],
      summarizeDetectors(table.rows).map((s) => [
        s.features,
        s.model,
        formatAccuracy(s.accuracy),
        ...(seeds === 1 ? [formatInterval(s.interval)] : []),
        formatAccuracy(s.trainAccuracy),
      ]),
    ),
  );
}
