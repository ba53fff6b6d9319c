import { z } from 'zod';
import { contaminationSpecSchema } from './contamination.ts';
import { detectionSpecSchema } from './detection.ts';
import { generationsSpecSchema } from './generations.ts';
import { replicationSpecSchema } from './replication.ts';
import { invalidSpec, parseSpecYaml, validateSpec } from './parse.ts';

/**
 * Every study kind's spec schema, discriminated by `study:`. A new kind is one schema file in this
 * folder and one entry here.
 */
const SCHEMAS = [
  generationsSpecSchema,
  contaminationSpecSchema,
  detectionSpecSchema,
  replicationSpecSchema,
] as const;

export const studySpecSchema = z.discriminatedUnion('study', [...SCHEMAS]);

export type StudySpec = z.infer<typeof studySpecSchema>;
export type StudyKindName = StudySpec['study'];
/** The spec of one study kind. */
export type SpecOf<K extends StudyKindName> = Extract<StudySpec, { study: K }>;

/** The study kinds a spec may name, in the order of SCHEMAS. */
export const STUDY_KIND_NAMES: readonly StudyKindName[] = SCHEMAS.map((s) => s.shape.study.value);

/**
 * Parses and validates a YAML (or JSON) study spec of any kind; errors name the file and each
 * field path, and an unknown `study:` names the known kinds.
 */
export function parseStudySpec(text: string, fileName: string): StudySpec {
  const raw = parseSpecYaml(text, fileName);
  const kind = isRecord(raw) ? raw.study : undefined;
  if (isRecord(raw) && !(STUDY_KIND_NAMES as readonly unknown[]).includes(kind)) {
    const known = STUDY_KIND_NAMES.map((k) => `\`${k}\``).join(', ');
    const what = kind === undefined ? 'missing' : `unknown study kind \`${describe(kind)}\``;
    throw invalidSpec(fileName, [`study: ${what} (known kinds: ${known})`]);
  }
  return validateSpec(studySpecSchema, raw, fileName);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
