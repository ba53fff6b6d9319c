/** The server profiles `npm run infra:up -- --profile <name>` knows; `dev` is the default. */
export type InfraProfile = 'dev' | 'production';

/** `--profile production` or `--profile=production` among the arguments, else `dev`. */
export function profileFromArgs(argv: readonly string[] = process.argv.slice(2)): InfraProfile {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === '--profile') value = argv[i + 1];
    else if (arg.startsWith('--profile=')) value = arg.slice('--profile='.length);
  });
  if (value === undefined || value === 'dev') return 'dev';
  if (value === 'production') return 'production';
  throw new Error(`unknown profile ${value}: use dev (the default) or production`);
}
