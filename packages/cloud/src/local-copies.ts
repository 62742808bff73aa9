/**
 * Local copies of stored clips. The engine's Mp4Source maps a local file, so cutting a
 * per-track MP4 or a trim from an S3 object needs the bytes here first: downloaded once
 * with ranged GETs into `${dataDir}/cache`, shared by concurrent readers, evicted least
 * recently used beyond the configured size. With the local blob store the stored file
 * itself is used in place.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from './blob.js';

/** `p`'s value, or `fallback` when the file or folder is not there (any other error is thrown). */
async function unlessMissing<T, F>(p: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await p;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  }
}

export class LocalCopies {
  readonly dir: string;
  readonly maxBytes: number;
  #blobs: BlobStore;
  #inflight = new Map<string, Promise<string>>();
  /** Evictions that failed (run in the background after a download: counted and warned). */
  evictionFailures = 0;

  constructor(blobs: BlobStore, dir: string, maxBytes: number) {
    this.#blobs = blobs;
    this.dir = dir;
    this.maxBytes = maxBytes;
  }
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** name: a server-made file name for this stored version (user, clip, content hash) */
  #path(name: string) {
    return join(this.dir, `${name}.mp4`);
  }

  async get(key: string, name: string): Promise<string> {
    const local = this.#blobs.localPath(key);
    if (local) return local;
    const path = this.#path(name);
    // A hit is touched for the LRU; a copy evicted meanwhile is downloaded again.
    const now = new Date();
    if ((await unlessMissing(utimes(path, now, now), false)) !== false) return path;
    let p = this.#inflight.get(name);
    if (!p) {
      p = (async () => {
        const tmp = `${path}.${randomBytes(6).toString('hex')}.part`;
        try {
          await this.#blobs.download(key, tmp);
          await rename(tmp, path);
        } catch (e) {
          await rm(tmp, { force: true });
          throw e;
        }
        this.#evictSoon();
        return path;
      })().finally(() => this.#inflight.delete(name));
      this.#inflight.set(name, p);
    }
    return p;
  }

  /** The local copy of a stored version if this instance has one already (no download). */
  async peek(name: string): Promise<string | null> {
    const path = this.#path(name);
    try {
      await stat(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Adopts a file just validated (upload, trim) so the first read needs no download. */
  async adopt(key: string, name: string, file: string): Promise<void> {
    if (this.#blobs.localPath(key)) {
      await rm(file, { force: true });
      return;
    }
    await rename(file, this.#path(name));
    this.#evictSoon();
  }

  #evictSoon(): void {
    this.evict().catch((e: unknown) => {
      this.evictionFailures++;
      process.emitWarning(`the local clip cache could not evict: ${(e as Error).message}`, {
        code: 'RINGCLIP_CACHE_EVICT',
      });
    });
  }

  /** The clips this cache holds copies of (names are `${userId}-${clipId}-${hash}.mp4`, both UUIDs). */
  async clips(): Promise<Array<{ userId: string; clipId: string }>> {
    const out = new Map<string, { userId: string; clipId: string }>();
    const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    const name = new RegExp(`^(${uuid})-(${uuid})-[0-9a-f]+\\.mp4`);
    for (const f of await readdir(this.dir)) {
      const m = name.exec(f);
      if (m) out.set(`${m[1]}-${m[2]}`, { userId: m[1]!, clipId: m[2]! });
    }
    return [...out.values()];
  }

  async drop(namePrefix: string): Promise<void> {
    for (const f of await unlessMissing(readdir(this.dir), [] as string[]))
      if (f.startsWith(namePrefix)) await rm(join(this.dir, f), { force: true });
  }

  async evict(): Promise<void> {
    const files = await unlessMissing(readdir(this.dir), [] as string[]);
    const infos = [];
    let total = 0;
    for (const f of files) {
      if (!f.endsWith('.mp4')) continue;
      const s = await unlessMissing(stat(join(this.dir, f)), null); // a reader's copy renamed in, or evicted by another
      if (!s) continue;
      total += s.size;
      infos.push({ f, size: s.size, at: s.mtimeMs });
    }
    infos.sort((a, b) => a.at - b.at);
    for (const i of infos) {
      if (total <= this.maxBytes) break;
      await rm(join(this.dir, i.f), { force: true });
      total -= i.size;
    }
  }
}
