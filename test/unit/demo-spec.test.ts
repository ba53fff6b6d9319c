// `clab demo [study]`: example studies by name, and an error listing them for an unknown name.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoSpecPath } from '../../cli/commands/demo.ts';
import { parseStudySpec } from '../../lib/studies/specs/index.ts';

describe('clab demo [study]', () => {
  it('finds every example study by name, and each one parses', () => {
    const names = readdirSync(new URL('../../studies/', import.meta.url))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    expect(names).toContain('contamination-digits');
    for (const name of names) {
      const path = demoSpecPath(name);
      expect(path.endsWith(`studies/${name}.yaml`)).toBe(true);
      expect(parseStudySpec(readFileSync(path, 'utf8'), path).name).toBe(name);
    }
  });

  it('refuses an unknown name or a path, listing the known names', () => {
    expect(() => demoSpecPath('contamination')).toThrowError(
      /^No example study `contamination` \(known: .*contamination-digits, contamination-gmm.*\)$/,
    );
    expect(() => demoSpecPath('../package')).toThrowError(/^No example study `\.\.\/package`/);
  });
});
