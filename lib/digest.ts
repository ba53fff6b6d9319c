import { createHash } from 'node:crypto';

/** A sha256 digest as 64 lowercase hex characters. */
export type Sha256 = string;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256(bytes: Uint8Array | string): Sha256 {
  return createHash('sha256').update(bytes).digest('hex');
}

export function isSha256(value: string): value is Sha256 {
  return SHA256_HEX.test(value);
}

export function assertSha256(value: string, what: string): asserts value is Sha256 {
  if (!isSha256(value)) {
    throw new TypeError(
      `Expected ${what} to be a sha256 digest (64 lowercase hex characters), got \`${value}\``,
    );
  }
}
