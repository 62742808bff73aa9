/** Blobs as files under `${dataDir}/blobs`: written to a temporary name, fsynced, renamed. */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { checkKey, type BlobStore } from './blob.js';

export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }
  async close(): Promise<void> {}

  #path(key: string): string {
    return join(this.root, checkKey(key));
  }

  async putFile(key: string, file: string, move = false): Promise<void> {
    // A delete elsewhere may prune an empty folder of this key's path between mkdir and the
    // copy (ENOENT): make the folders again and retry, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await (move ? this.#move(key, file) : this.#put(key, file));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw e;
      }
    }
  }
  /** The file itself becomes the blob: synced, then renamed into place (no byte is copied). */
  async #move(key: string, file: string): Promise<void> {
    const dest = this.#path(key);
    await mkdir(dirname(dest), { recursive: true });
    const fh = await open(file, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(file, dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      await this.#put(key, file); // staging on another file system: copy after all
    }
  }
  async #put(key: string, file: string): Promise<void> {
    const dest = this.#path(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await copyFile(file, tmp);
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
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
  async download(key: string, file: string): Promise<void> {
    await copyFile(this.#path(key), file);
  }
  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.#path(key))).size;
    } catch {
      return null;
    }
  }
  async delete(key: string): Promise<void> {
    const p = this.#path(key);
    await rm(p, { force: true });
    await this.#prune(dirname(p));
  }
  /** Removes the folders a key lived in as long as they are empty: a refused upload leaves none. */
  async #prune(dir: string): Promise<void> {
    for (let d = dir; d !== this.root && d.startsWith(this.root); d = dirname(d)) {
      try {
        await rmdir(d);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return; // still in use, or already gone
        throw e;
      }
    }
  }
  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string) => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (!e.name.endsWith('.tmp')) out.push(relative(this.root, p));
      }
    };
    await walk(this.root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }
  localPath(key: string): string {
    return this.#path(key);
  }
}
