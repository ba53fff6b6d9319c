import type { Sha256 } from '../digest.ts';
import { InputError } from '../input-error.ts';
import { Rng } from '../rng.ts';
import type { ManifestSource } from './manifest.ts';

/**
 * Class-by-class mixes of a real dataset R with another dataset O (generated images S, or a real
 * control C) for the contamination study (Hataya et al., ICCV 2023):
 *
 * - `replaceSelection` (R/O-r%, the paper's IN/SD-n%): a fraction r of R replaced by O, keeping
 *   |R| and R's class histogram exactly;
 * - `fillSelection` (Table 7): a p% class-balanced subsample of R, filled up to |R| with O;
 * - `appendSelection` (Table 8): all of R, plus O images amounting to +p% of |R|, class-balanced.
 *
 * All three are pure: labels and (seed, stream) in, a list of origins out. Quotas come from
 * `classQuotas`; draws are without replacement on both sides.
 *
 * **Random streams.** Every class draws from sub-streams of its own, derived from the stage's
 * (seed, stream): `<stream>/real/<c>` picks the real images of class c (those replaced, or those
 * kept), `<stream>/other/<c>` the images of O's class c, `<stream>/ties` orders classes whose
 * quota remainders tie. A draw of k from n is a partial Fisher-Yates shuffle, so it is a prefix of
 * any larger draw from the same stream. Two consequences a study can rely on, when it gives every
 * mix of a curve the same seed and stream:
 * - the real images a mix replaces depend only on R, r, the seed and the stream, not on O: R/S-r%
 *   and its control R/C-r% replace exactly the same real images;
 * - mixes are nested across r: the real images replaced at r = 0.2 are among those replaced at
 *   r = 0.4 (per class, whenever the class quota grows), and likewise for the O images used.
 * Distinct streams give independent mixes instead.
 */

/** Where an output image comes from: source 0 is R, source 1 is O; `index` is its row there. */
export interface Origin {
  source: 0 | 1;
  index: number;
}

/** How many images of each class came from each source. */
export interface MixComposition {
  real: number[];
  other: number[];
}

export interface MixSelection {
  /** One entry per output image, in output order. */
  origins: Origin[];
  composition: MixComposition;
}

export interface MixInput {
  /** R's labels (class indices), one per image. */
  realLabels: ArrayLike<number>;
  /** O's labels, over the same classes. */
  otherLabels: ArrayLike<number>;
  /** The class names (shared by R and O): their count, and names for error messages. */
  classes: readonly string[];
  /** r for replace, p for fill and append. */
  fraction: number;
  seed: number;
  stream: string;
  /** Dataset names for error messages. */
  realName?: string;
  otherName?: string;
}

/** The provenance artifact a mix's manifest references: where every output image came from. */
export const MIX_PROVENANCE_FORMAT = 'clab.mix-provenance/v1';

export interface MixProvenance {
  format: typeof MIX_PROVENANCE_FORMAT;
  /** The source datasets' manifest digests: [R, O]. */
  sources: [Sha256, Sha256];
  /** Per output image, in order: [source (0 = R, 1 = O), row in that source's manifest order]. */
  rows: [number, number][];
}

/** A mix's manifest source: the usual fields plus its per-class composition and provenance. */
export interface MixManifestSource extends ManifestSource {
  kind: 'replace-mix' | 'fill-mix' | 'append-mix';
  parents: [Sha256, Sha256];
  composition: MixComposition;
  /** Digest of the `clab.mix-provenance/v1` artifact. */
  provenance: Sha256;
}

/** Fractions are read to 9 decimal places, so quotas are exact integer arithmetic. */
const SCALE = 1_000_000_000n;

/**
 * Integer per-class quotas k_c for a fraction f of class sizes n_c (largest remainder, Hamilton):
 *
 *   K = round(f N), N = sum n_c (halves round up);
 *   k_c = floor(f n_c), plus one for the K - sum floor(f n_c) classes with the largest remainders
 *   f n_c - floor(f n_c).
 *
 * So sum k_c = K exactly and every k_c is floor(f n_c) or ceil(f n_c): no integer vector with sum
 * K is closer to (f n_c) (only classes with a non-zero remainder ever get the extra one, and there
 * are always enough of them). For f in [0, 1], 0 <= k_c <= n_c.
 *
 * Ties between equal remainders: by `tieOrder` (a permutation of the classes; earlier wins). The
 * mixes pass a seeded random permutation, so no class is favoured systematically across seeds.
 * f is taken to 9 decimal places (f' = round(f 1e9) / 1e9) and everything after that is exact.
 */
export function classQuotas(
  counts: readonly number[],
  fraction: number,
  tieOrder: readonly number[] = counts.map((_, c) => c),
): number[] {
  if (!Number.isFinite(fraction) || fraction < 0)
    throw new RangeError(`Expected a fraction >= 0, got \`${fraction}\``);
  if (tieOrder.length !== counts.length || new Set(tieOrder).size !== counts.length)
    throw new RangeError('Expected tieOrder to be a permutation of the classes');
  const f = BigInt(Math.round(fraction * 1e9));
  const products = counts.map((n) => {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Expected class sizes, got \`${n}\``);
    return f * BigInt(n);
  });
  const total = products.reduce((a, b) => a + b, 0n);
  const target = (total + SCALE / 2n) / SCALE;
  const quotas = products.map((p) => p / SCALE);
  let extra = Number(target - quotas.reduce((a, b) => a + b, 0n));
  const rank = new Map(tieOrder.map((c, i) => [c, i]));
  const order = products
    .map((p, c) => ({ c, remainder: p % SCALE }))
    .filter((x) => x.remainder > 0n)
    .sort((a, b) =>
      a.remainder === b.remainder
        ? rank.get(a.c)! - rank.get(b.c)!
        : a.remainder > b.remainder
          ? -1
          : 1,
    );
  for (const { c } of order) {
    if (extra <= 0) break;
    quotas[c]! += 1n;
    extra--;
  }
  return quotas.map(Number);
}

/**
 * R/O-r%: replaces k_c images of each class c of R by k_c images of O's class c, k_c =
 * classQuotas(n, r) (so sum k_c = round(r |R|)). The output has R's order and labels: row i is R's
 * image i, or, if that image was drawn for replacement, an O image of the same class (the drawn R
 * rows of a class, ascending, get the drawn O rows of that class, ascending). r = 0 is R itself,
 * r = 1 is all O in R's label order.
 */
export function replaceSelection(input: MixInput): MixSelection {
  checkFraction(input.fraction, 'replace', 1);
  const { realByClass, otherByClass, ties } = prepare(input);
  const replaced = classQuotas(
    realByClass.map((rows) => rows.length),
    input.fraction,
    ties,
  );
  return substitute(input, realByClass, otherByClass, replaced, 'drop');
}

/**
 * Table 7: keeps a class-balanced p% subsample of R (k_c = classQuotas(n, p) images of class c,
 * sum k_c = round(p |R|)) and fills each class back up to n_c with n_c - k_c images of O. Same
 * layout as replaceSelection (R's order and labels, replaced rows in place). `kept` lists the kept
 * R rows, ascending: the p% subsample alone, for the "R (p%)" row of the table.
 */
export function fillSelection(input: MixInput): MixSelection & { kept: number[] } {
  checkFraction(input.fraction, 'fill', 1);
  const { realByClass, otherByClass, ties } = prepare(input);
  const kept = classQuotas(
    realByClass.map((rows) => rows.length),
    input.fraction,
    ties,
  );
  const selection = substitute(input, realByClass, otherByClass, kept, 'keep');
  return {
    ...selection,
    kept: selection.origins.filter((o) => o.source === 0).map((o) => o.index),
  };
}

/**
 * Table 8: all of R (in its order), then k_c = classQuotas(n, p) images of O's class c for every
 * class (class by class, ascending rows within a class): |R| + round(p |R|) images with R's class
 * proportions. p may exceed 1 (+150% is p = 1.5).
 */
export function appendSelection(input: MixInput): MixSelection {
  checkFraction(input.fraction, 'append', Infinity);
  const { realByClass, otherByClass, ties } = prepare(input);
  const added = classQuotas(
    realByClass.map((rows) => rows.length),
    input.fraction,
    ties,
  );
  const origins: Origin[] = Array.from({ length: input.realLabels.length }, (_, index) => ({
    source: 0 as const,
    index,
  }));
  for (const [c, k] of added.entries())
    for (const index of drawOther(input, otherByClass, c, k)) origins.push({ source: 1, index });
  return {
    origins,
    composition: { real: realByClass.map((rows) => rows.length), other: added },
  };
}

/** Checks that no output image comes from the same source row twice; returns the first duplicate. */
export function firstDuplicate(origins: readonly Origin[]): Origin | undefined {
  const seen = new Set<string>();
  for (const o of origins) {
    const key = `${o.source}:${o.index}`;
    if (seen.has(key)) return o;
    seen.add(key);
  }
  return undefined;
}

/** The provenance artifact of a selection whose sources are [real, other]. */
export function mixProvenance(selection: MixSelection, real: Sha256, other: Sha256): MixProvenance {
  return {
    format: MIX_PROVENANCE_FORMAT,
    sources: [real, other],
    rows: selection.origins.map((o) => [o.source, o.index]),
  };
}

function checkFraction(fraction: number, mix: string, max: number): void {
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > max)
    throw new RangeError(
      `Expected the ${mix} fraction to be ${max === Infinity ? '>= 0' : `from 0 to ${max}`}, got \`${fraction}\``,
    );
}

function prepare(input: MixInput) {
  const classCount = input.classes.length;
  const byClass = (labels: ArrayLike<number>, name: string): number[][] => {
    const rows: number[][] = input.classes.map(() => []);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (!(label >= 0 && label < classCount))
        throw new InputError(
          `${name}: image ${i} has label ${label}; there are ${classCount} classes`,
        );
      rows[label]!.push(i);
    }
    return rows;
  };
  return {
    realByClass: byClass(input.realLabels, input.realName ?? 'real dataset'),
    otherByClass: byClass(input.otherLabels, input.otherName ?? 'other dataset'),
    ties: Rng.stream(input.seed, `${input.stream}/ties`).shuffled(input.classes.map((_, c) => c)),
  };
}

/**
 * Per class c, draws `quota[c]` of R's rows of that class; `drop` replaces the drawn rows, `keep`
 * replaces the others. Replaced rows get O's images of class c, drawn without replacement. Every R
 * draw comes before any O draw, from separate streams, so which R rows go never depends on O.
 */
function substitute(
  input: MixInput,
  realByClass: number[][],
  otherByClass: number[][],
  quota: number[],
  mode: 'drop' | 'keep',
): MixSelection {
  const origins: Origin[] = Array.from({ length: input.realLabels.length }, (_, index) => ({
    source: 0 as const,
    index,
  }));
  const replacedRows = realByClass.map((rows, c) => {
    const drawn = Rng.stream(input.seed, `${input.stream}/real/${c}`)
      .sampleIndices(rows.length, quota[c]!)
      .map((i) => rows[i]!);
    if (mode === 'drop') return drawn.sort((a, b) => a - b);
    const keep = new Set(drawn);
    return rows.filter((r) => !keep.has(r));
  });
  for (const [c, rows] of replacedRows.entries()) {
    const picked = drawOther(input, otherByClass, c, rows.length);
    rows.forEach((row, j) => (origins[row] = { source: 1, index: picked[j]! }));
  }
  return {
    origins,
    composition: {
      real: realByClass.map((rows, c) => rows.length - replacedRows[c]!.length),
      other: replacedRows.map((rows) => rows.length),
    },
  };
}

/** k of O's rows of class c, without replacement, ascending; an InputError if O has fewer. */
function drawOther(input: MixInput, otherByClass: number[][], c: number, k: number): number[] {
  const rows = otherByClass[c]!;
  if (rows.length < k)
    throw new InputError(
      `${input.otherName ?? 'The other dataset'} has ${rows.length} images of class ${c} (${input.classes[c]}); the mix needs ${k} of them (fraction ${input.fraction} of ${input.realName ?? 'the real dataset'})`,
    );
  return Rng.stream(input.seed, `${input.stream}/other/${c}`)
    .sampleIndices(rows.length, k)
    .map((i) => rows[i]!)
    .sort((a, b) => a - b);
}
