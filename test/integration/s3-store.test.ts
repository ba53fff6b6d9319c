import { Client } from 'minio';
import { describe, expect, inject, it } from 'vitest';
import { sha256 } from '../../lib/digest.ts';
import {
  ArtifactNotFoundError,
  DigestMismatchError,
  StoreConfigError,
} from '../../lib/storage/errors.ts';
import { S3ArtifactStore } from '../../lib/storage/s3-store.ts';
import { listAll } from '../helpers/stack.ts';

const s3 = inject('s3');
const store = (overrides: Partial<ConstructorParameters<typeof S3ArtifactStore>[0]> = {}) =>
  new S3ArtifactStore({
    endpoint: s3.endpoint,
    bucket: s3.bucket,
    prefix: `s3-store-${Date.now()}`,
    region: 'us-east-1',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    ...overrides,
  });

describe('S3ArtifactStore against MinIO', () => {
  it('stores bytes under their content key inside its prefix and reads them back', async () => {
    const a = store({ prefix: 'iso-a' });
    const b = store({ prefix: 'iso-b' });
    const ref = await a.put(Buffer.from('shard bytes'));
    expect(ref.key).toBe(`sha256/${sha256('shard bytes').slice(0, 2)}/${sha256('shard bytes')}`);
    expect((await a.get(ref.digest)).toString()).toBe('shard bytes');
    expect(await a.has(ref.digest)).toBe(true);
    expect(await b.has(ref.digest)).toBe(false);
    expect(await listAll(a.listKeys())).toContain(ref.key);
    await a.put(Buffer.from('shard bytes')); // idempotent
    expect((await listAll(a.listKeys())).filter((k) => k === ref.key)).toHaveLength(1);
  });

  it('reports an object whose bytes no longer match its key, instead of returning them', async () => {
    const s = store({ prefix: 'tamper' });
    const ref = await s.put(Buffer.from('original'));
    const raw = new Client({
      endPoint: '127.0.0.1',
      port: Number(new URL(s3.endpoint).port),
      useSSL: false,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
    });
    await raw.putObject(s3.bucket, `tamper/${ref.key}`, Buffer.from('tampered'));
    await expect(s.get(ref.digest)).rejects.toThrowError(DigestMismatchError);
    await expect(s.get(ref.digest)).rejects.toThrowError(
      `Artifact ${ref.key} in s3://${s3.bucket}/tamper/ is corrupt: its bytes hash to sha256:${sha256('tampered')}`,
    );
  });

  it('names the missing artifact', async () => {
    const s = store();
    const digest = sha256('absent');
    await expect(s.get(digest)).rejects.toThrowError(new ArtifactNotFoundError(s.location, digest));
  });

  it('names a missing bucket instead of failing obscurely', async () => {
    const s = store({ bucket: 'no-such-bucket' });
    await expect(s.put(Buffer.from('x'))).rejects.toThrowError(StoreConfigError);
    await expect(s.put(Buffer.from('x'))).rejects.toThrowError(
      /S3 bucket `no-such-bucket` does not exist at http:\/\/127\.0\.0\.1:\d+/,
    );
    await expect(s.checkBucket()).rejects.toThrowError(/no-such-bucket/);
  });

  it('says when the credentials are refused, without printing them', async () => {
    const s = store({ secretKey: 'wrong-secret-value' });
    const error = await s.put(Buffer.from('x')).catch((e: Error) => e);
    expect(error).toBeInstanceOf(StoreConfigError);
    expect((error as Error).message).toMatch(/refused the credentials for bucket `clab-test`/);
    expect((error as Error).message).not.toContain('wrong-secret-value');
  });

  it('stores and replaces named records', async () => {
    const s = store({ prefix: 'records' });
    expect(await s.getRecord('stages/k1')).toBeUndefined();
    await s.putRecord('stages/k1', Buffer.from('one'));
    await s.putRecord('stages/k1', Buffer.from('two'));
    expect((await s.getRecord('stages/k1'))!.toString()).toBe('two');
    expect(await listAll(s.listKeys())).toEqual(['records/stages/k1']);
  });
});
