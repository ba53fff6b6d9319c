/**
 * Bad input (a corrupt file, a malformed spec, a source that changed): retrying cannot help, so
 * activities turn it into a non-retryable failure. The message names the input.
 */
export class InputError extends Error {
  override readonly name: string = 'InputError';
}
