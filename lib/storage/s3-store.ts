import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { sha256, type Sha256 } from '../digest.ts';
import { recordKey, type ArtifactRef, type ArtifactStore } from './artifact-store.ts';
import { contentKey } from './content-key.ts';
import { ArtifactNotFoundError, StoreConfigError, StoreUnavailableError } from './errors.ts';
import { verified } from './verify.ts';

const SKIP_UPLOAD_CHECK_BYTES = 8 * 2 ** 20;

export interface S3StoreOptions {
  /** e.g. `http://127.0.0.1:9000` or `https://s3.eu-west-1.amazonaws.com`. */
  endpoint: string;
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for the bucket root). */
  prefix: string;
  region: string;
  accessKey: string;
  secretKey: string;
}

/**
 * Artifacts as objects in any S3-compatible service (AWS S3, MinIO, Ceph, SeaweedFS), through the
 * `minio` client using plain S3 calls only. Atomicity comes from S3 itself: an object becomes
 * visible only when its single PUT (or multipart completion) succeeds.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly location: string;
  readonly #client: Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #endpoint: string;

  constructor(options: S3StoreOptions) {
    const url = parseEndpoint(options.endpoint);
    this.#client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: true,
    });
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ? `${options.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.#endpoint = url.origin;
    this.location = `s3://${options.bucket}/${this.#prefix}`;
  }

  /** Fails with a clear error unless the bucket exists and the credentials can reach it. */
  async checkBucket(): Promise<void> {
    let exists: boolean;
    try {
      exists = await this.#client.bucketExists(this.#bucket);
    } catch (error) {
      throw this.#translate(error);
    }
    if (!exists) throw this.#missingBucket();
  }

  async put(bytes: Uint8Array): Promise<ArtifactRef> {
    const digest = sha256(bytes);
    const key = contentKey(digest);
    const ref = { digest, key, bytes: bytes.byteLength };
    // Re-putting identical bytes is harmless (same key, same content), so only large artifacts,
    // whose upload costs far more than a HEAD request, are checked for first.
    if (bytes.byteLength >= SKIP_UPLOAD_CHECK_BYTES && (await this.has(digest))) return ref;
    const body = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      await this.#client.putObject(this.#bucket, this.#prefix + key, body, bytes.byteLength, {
        'Content-Type': 'application/octet-stream',
      });
    } catch (error) {
      throw this.#translate(error);
    }
    return ref;
  }

  async putRecord(name: string, bytes: Uint8Array): Promise<void> {
    const body = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      await this.#client.putObject(
        this.#bucket,
        this.#prefix + recordKey(name),
        body,
        body.byteLength,
        {
          'Content-Type': 'application/json',
        },
      );
    } catch (error) {
      throw this.#translate(error);
    }
  }

  async getRecord(name: string): Promise<Buffer | undefined> {
    try {
      return await collect(
        await this.#client.getObject(this.#bucket, this.#prefix + recordKey(name)),
      );
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw this.#translate(error);
    }
  }

  async get(digest: Sha256): Promise<Buffer> {
    const key = contentKey(digest);
    let bytes: Buffer;
    try {
      bytes = await collect(await this.#client.getObject(this.#bucket, this.#prefix + key));
    } catch (error) {
      if (isMissingObject(error)) throw new ArtifactNotFoundError(this.location, digest);
      throw this.#translate(error);
    }
    return verified(bytes, digest, this.location, key);
  }

  async has(digest: Sha256): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  async size(digest: Sha256): Promise<number | undefined> {
    try {
      return (await this.#client.statObject(this.#bucket, this.#prefix + contentKey(digest))).size;
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw this.#translate(error);
    }
  }

  async delete(digest: Sha256): Promise<void> {
    try {
      await this.#client.removeObject(this.#bucket, this.#prefix + contentKey(digest));
    } catch (error) {
      throw this.#translate(error);
    }
  }

  async *listKeys(): AsyncIterable<string> {
    const stream = this.#client.listObjectsV2(this.#bucket, this.#prefix, true);
    try {
      for await (const item of stream as AsyncIterable<{ name?: string }>) {
        if (item.name) yield item.name.slice(this.#prefix.length);
      }
    } catch (error) {
      throw this.#translate(error);
    }
  }

  #missingBucket(): StoreConfigError {
    return new StoreConfigError(
      `S3 bucket \`${this.#bucket}\` does not exist at ${this.#endpoint}; create it (npm run infra:up does for the local MinIO) or point CLAB_STORE at an existing bucket`,
    );
  }

  #translate(error: unknown): Error {
    const code = (error as { code?: string }).code;
    if (code === 'NoSuchBucket') return this.#missingBucket();
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
      return new StoreUnavailableError(
        `S3 endpoint ${this.#endpoint} is unreachable (${code}); is the server running?`,
      );
    }
    if (
      code === 'InvalidAccessKeyId' ||
      code === 'SignatureDoesNotMatch' ||
      code === 'AccessDenied'
    ) {
      return new StoreConfigError(
        `S3 endpoint ${this.#endpoint} refused the credentials for bucket \`${this.#bucket}\` (${code}: ${(error as Error).message}; resource ${(error as { resource?: string }).resource ?? '?'})`,
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StoreConfigError(
      `Expected the S3 endpoint to be a URL like http://127.0.0.1:9000, got \`${endpoint}\``,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StoreConfigError(
      `Expected the S3 endpoint to use http or https, got \`${endpoint}\``,
    );
  }
  return url;
}

function isMissingObject(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'NoSuchKey' || code === 'NotFound';
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
