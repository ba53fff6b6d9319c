import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../../input-error.ts';

/** Parses YAML (or JSON) text; an error names the file. */
export function parseSpecYaml(text: string, fileName: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    throw new InputError(`${fileName}: not valid YAML: ${(error as Error).message}`);
  }
}

/** Validates a parsed spec against `schema`; an error names the file and each field path. */
export function validateSpec<T>(schema: z.ZodType<T>, raw: unknown, fileName: string): T {
  const result = schema.safeParse(raw);
  if (!result.success)
    throw invalidSpec(
      fileName,
      result.error.issues.map((issue) => {
        const path = issue.path.length ? issue.path.join('.') : '(top level)';
        const keys =
          'keys' in issue && Array.isArray(issue.keys)
            ? ` ${issue.keys.map((k) => `\`${String(k)}\``).join(', ')}`
            : '';
        return `${path}: ${issue.message}${keys}`;
      }),
    );
  return result.data;
}

/** The error for a spec that parsed but is not valid: one line per problem, each `path: message`. */
export function invalidSpec(fileName: string, problems: readonly string[]): InputError {
  return new InputError(
    `${fileName}: invalid study spec:\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
}
