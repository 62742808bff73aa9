/**
 * Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph, s3rver): path-style
 * addressing, ranged GETs for streaming, single PUTs (objects are clips: up to the
 * configured maximum size).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { checkKey, type BlobStore } from './blob.js';
import type { S3Config } from './config.js';

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(c: S3Config) {
    this.bucket = c.bucket;
    this.prefix = c.prefix;
    this.client = new S3Client({
      endpoint: c.endpoint,
      region: c.region,
      forcePathStyle: c.forcePathStyle,
      credentials:
        c.accessKeyId && c.secretAccessKey
          ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }
          : undefined,
      // Checksums on every request are not understood by every S3-compatible server.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  #key(key: string): string {
    return this.prefix + checkKey(key);
  }

  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket })).catch((e: { name?: string }) => {
        if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
      });
    }
  }
  async close(): Promise<void> {
    this.client.destroy();
  }

  // `move` (BlobStore.putFile) does not apply: the file is uploaded and stays for the local cache.
  async putFile(key: string, file: string): Promise<void> {
    const { size } = await stat(file);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.#key(key),
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: 'application/octet-stream',
      }),
    );
  }
  async readRange(key: string, start: number, endExclusive: number): Promise<Readable> {
    if (endExclusive <= start) return Readable.from([]);
    const r = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.#key(key), Range: `bytes=${start}-${endExclusive - 1}` }),
    );
    return r.Body as Readable;
  }
  async download(key: string, file: string): Promise<void> {
    // Ranged GETs of 8 MiB: a dropped connection costs one piece, not the whole object.
    const size = await this.size(key);
    if (size === null) throw new Error(`object ${key} is missing`);
    const out = createWriteStream(file);
    try {
      const piece = 8 * 1024 * 1024;
      for (let at = 0; at < size; at += piece) {
        const body = await this.readRange(key, at, Math.min(size, at + piece));
        for await (const chunk of body)
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
    } finally {
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    }
    if ((await stat(file)).size !== size) throw new Error(`download of ${key} came out short`);
  }
  async size(key: string): Promise<number | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
      return r.ContentLength ?? null;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  }
  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#key(key) }));
  }
  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.prefix.length));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }
  localPath(): null {
    return null;
  }
}
