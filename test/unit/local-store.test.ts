import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/digest.ts';
import { ArtifactNotFoundError, DigestMismatchError } from '../../lib/storage/errors.ts';
import {
  getJson,
  getJsonRecord,
  putJson,
  putJsonRecord,
} from '../../lib/storage/json-artifacts.ts';
import { LocalArtifactStore } from '../../lib/storage/local-store.ts';

const freshStore = () => {
  const root = mkdtempSync(join(tmpdir(), 'clab-store-'));
  return { root, store: new LocalArtifactStore(root) };
};

describe('LocalArtifactStore', () => {
  it('stores bytes under the key of their sha256 and reads them back', async () => {
    const { root, store } = freshStore();
    const ref = await store.put(Buffer.from('hello'));
    expect(ref).toEqual({ digest: sha256('hello'), key: `sha256/2c/${sha256('hello')}`, bytes: 5 });
    expect((await store.get(ref.digest)).toString()).toBe('hello');
    expect(await store.has(ref.digest)).toBe(true);
    expect(readdirSync(join(root, 'sha256', '2c'))).toEqual([ref.digest]);
  });

  it('is idempotent and leaves no temporary files behind', async () => {
    const { store } = freshStore();
    await store.put(Buffer.from('a'));
    await store.put(Buffer.from('a'));
    await store.put(Buffer.from('b'));
    const keys: string[] = [];
    for await (const key of store.listKeys()) keys.push(key);
    expect(keys.sort()).toEqual(
      [
        `sha256/${sha256('a').slice(0, 2)}/${sha256('a')}`,
        `sha256/${sha256('b').slice(0, 2)}/${sha256('b')}`,
      ].sort(),
    );
  });

  it('reports corrupted bytes instead of returning them', async () => {
    const { root, store } = freshStore();
    const ref = await store.put(Buffer.from('the real content'));
    writeFileSync(join(root, ...ref.key.split('/')), 'tampered content');
    await expect(store.get(ref.digest)).rejects.toThrowError(DigestMismatchError);
    await expect(store.get(ref.digest)).rejects.toThrowError(
      `its bytes hash to sha256:${sha256('tampered content')}, expected sha256:${ref.digest}`,
    );
  });

  it('names the store and digest of a missing artifact', async () => {
    const { store } = freshStore();
    const missing = sha256('never stored');
    await expect(store.get(missing)).rejects.toThrowError(
      new ArtifactNotFoundError(store.location, missing),
    );
    expect(await store.has(missing)).toBe(false);
  });

  it('stores JSON canonically: equal values, equal digests', async () => {
    const { store } = freshStore();
    const a = await putJson(store, { x: 1, y: 2 });
    const b = await putJson(store, { y: 2, x: 1 });
    expect(a.digest).toBe(b.digest);
    expect(await getJson(store, a.digest)).toEqual({ x: 1, y: 2 });
  });
});

describe('LocalArtifactStore records', () => {
  it('stores, replaces and reads named records; a missing one is undefined', async () => {
    const { store } = freshStore();
    expect(await getJsonRecord(store, 'stages/abc')).toBeUndefined();
    await putJsonRecord(store, 'stages/abc', { v: 1 });
    await putJsonRecord(store, 'stages/abc', { v: 2 });
    expect(await getJsonRecord(store, 'stages/abc')).toEqual({ v: 2 });
    const keys: string[] = [];
    for await (const key of store.listKeys()) keys.push(key);
    expect(keys).toEqual(['records/stages/abc']);
  });

  it('refuses record names that could escape the records folder', async () => {
    const { store } = freshStore();
    await expect(store.putRecord('../etc/passwd', Buffer.from('x'))).rejects.toThrowError(
      /Expected a record name/,
    );
    await expect(store.putRecord('a//b', Buffer.from('x'))).rejects.toThrowError(
      /Expected a record name/,
    );
  });
});
