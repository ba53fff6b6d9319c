import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/digest.ts';
import { contentKey, digestOfKey } from '../../lib/storage/content-key.ts';

// FIPS 180-2 test vector: SHA-256("abc").
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('content keys', () => {
  it('derive from the sha256 of the bytes', () => {
    expect(sha256('abc')).toBe(ABC);
    expect(contentKey(ABC)).toBe(`sha256/ba/${ABC}`);
    expect(digestOfKey(`sha256/ba/${ABC}`)).toBe(ABC);
  });

  it('reject what is not a digest, naming the value', () => {
    expect(() => contentKey('../etc/passwd')).toThrowError(
      'Expected artifact digest to be a sha256 digest (64 lowercase hex characters), got `../etc/passwd`',
    );
    expect(digestOfKey(`sha256/bb/${ABC}`)).toBeUndefined();
    expect(digestOfKey('manifest.json')).toBeUndefined();
  });
});
