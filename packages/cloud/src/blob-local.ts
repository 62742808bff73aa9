/** Blobs as files under `${dataDir}/blobs`: written to a temporary name, fsynced, renamed. */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { checkKey, type BlobStore } from './blob.js';

export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  readonly root: string;
  constructor(root: string) { this.root = root; }

  async init(): Promise<void> { await mkdir(this.root, { recursive: true }); }
  async close(): Promise<void> {}

  #path(key: string): string { return join(this.root, checkKey(key)); }

  async putFile(key: string, file: string): Promise<void> {
    const dest = this.#path(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await copyFile(file, tmp);
      const fh = await open(tmp, 'r');
      try { await fh.sync(); } finally { await fh.close(); }
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
  async readRange(key: string, start: number, endExclusive: number): Promise<Readable> {
    if (endExclusive <= start) return (await import('node:stream')).Readable.from([]);
    return createReadStream(this.#path(key), { start, end: endExclusive - 1 });
  }
  async download(key: string, file: string): Promise<void> { await copyFile(this.#path(key), file); }
  async size(key: string): Promise<number | null> {
    try { return (await stat(this.#path(key))).size; } catch { return null; }
  }
  async delete(key: string): Promise<void> {
    const p = this.#path(key);
    await rm(p, { force: true });
    // Tidy empty per-clip part folders (ignore "not empty").
    if (key.startsWith('parts/')) await rm(dirname(p), { recursive: false }).catch(() => {});
  }
  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string) => {
      let entries;
      try { entries = await readdir(dir, { withFileTypes: true }); } catch { return; }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.endsWith('.tmp')) out.push(relative(this.root, p));
      }
    };
    await walk(this.root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }
  localPath(key: string): string { return this.#path(key); }
}
