// Lint rules that carry weight here: no floating promises anywhere, and no I/O modules in
// workflow code (Temporal replays workflows, so they must stay deterministic).
import tseslint from 'typescript-eslint';

const ioModules = [
  'sharp',
  'onnxruntime-node',
  'minio',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/out/**', '**/*.local.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'child_process', 'zlib', ...ioModules],
              message:
                'Workflow code must stay deterministic: no Node built-ins or I/O clients (import types only).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'Date', 'setTimeout'],
    },
  },
);
