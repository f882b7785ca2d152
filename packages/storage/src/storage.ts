import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

export interface StorageConfig {
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** Path-style URLs: needed for MinIO-less local servers and most self-hosted S3. */
  forcePathStyle: boolean;
  /** `when_required` for servers that mishandle streamed checksums (s3rver); AWS and MinIO take the default. */
  checksumMode: 'when_supported' | 'when_required';
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`Object not found: ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

export interface StoredObject {
  key: string;
  size: number;
  lastModified?: Date;
}

function notImplemented(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotImplemented' || e.Code === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
}

/** Object storage on the S3 protocol (MinIO, AWS S3, or the local stack's s3rver). */
export class Storage {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(config: StorageConfig) {
    const checksum = config.checksumMode === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      requestChecksumCalculation: checksum,
      responseChecksumValidation: checksum,
    });
    this.bucket = config.bucket;
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  /** Cheap round trip for readiness checks. */
  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  async put(key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async get(key: string): Promise<Buffer> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new ObjectNotFoundError(key);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  /** The object as a stream (for serving it without buffering), with its size; ObjectNotFoundError when absent. */
  async getStream(key: string): Promise<{ body: Readable; size: number | undefined }> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new ObjectNotFoundError(key);
      return { body: out.Body as Readable, size: out.ContentLength };
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') throw new ObjectNotFoundError(key);
      throw error;
    }
  }

  /** Deletes the given keys (absent ones are no error). */
  async deleteKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  async getJson<T>(key: string): Promise<T> {
    return JSON.parse((await this.get(key)).toString('utf8')) as T;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const item of page.Contents ?? []) {
        if (item.Key) objects.push({ key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /** Deletes every object under the prefix; returns how many were deleted. */
  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000);
      await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((o) => ({ Key: o.key })), Quiet: true } }),
      );
    }
    return objects.length;
  }

  /** Uploads files under a prefix with bounded concurrency. */
  async putFiles(prefix: string, files: ReadonlyArray<{ path: string; data: Buffer }>, concurrency = 8): Promise<void> {
    let next = 0;
    const work = async () => {
      while (next < files.length) {
        const file = files[next++]!;
        await this.put(`${prefix}${file.path}`, file.data);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, work));
  }

  /**
   * Downloads the objects under a prefix as relative paths: those named in `paths` (no listing;
   * a missing one fails like `get`), else every object the prefix lists.
   */
  async getFiles(prefix: string, paths?: readonly string[], concurrency = 8): Promise<Array<{ path: string; data: Buffer }>> {
    const names = paths?.length ? [...paths] : (await this.list(prefix)).map((o) => o.key.slice(prefix.length));
    const out: Array<{ path: string; data: Buffer }> = new Array(names.length);
    let next = 0;
    const work = async () => {
      while (next < names.length) {
        const index = next++;
        const name = names[index]!;
        out[index] = { path: name, data: await this.get(`${prefix}${name}`) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, work));
    return out;
  }

  /**
   * Makes the bucket expire objects under `prefix` after `days` with a lifecycle rule (id
   * `expire-<prefix>`), keeping the bucket's other rules. `unsupported`: the server has no
   * lifecycle rules (s3rver answers NotImplemented), so something else must delete them.
   */
  async ensurePrefixExpiry(prefix: string, days: number): Promise<'applied' | 'unsupported'> {
    const id = `expire-${prefix}`.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+$/, '');
    let rules: LifecycleRule[] = [];
    try {
      rules = (await this.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: this.bucket }))).Rules ?? [];
    } catch (error) {
      if (notImplemented(error)) return 'unsupported';
      if ((error as { name?: string }).name !== 'NoSuchLifecycleConfiguration') throw error;
    }
    const rule: LifecycleRule = { ID: id, Status: 'Enabled', Filter: { Prefix: prefix }, Expiration: { Days: days } };
    try {
      await this.client.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: this.bucket, LifecycleConfiguration: { Rules: [...rules.filter((r) => r.ID !== id), rule] } }),
      );
    } catch (error) {
      if (notImplemented(error)) return 'unsupported';
      throw error;
    }
    return 'applied';
  }

  destroy(): void {
    this.client.destroy();
  }
}
