/**
 * The upload queue: clips waiting for the cloud. Persisted (queue.json, written atomically
 * at every change) so it survives app restarts; uploads are idempotent (the app chose the
 * clip's UUID) and resume from the server's Upload-Offset in Content-Range chunks; failures
 * back off exponentially with jitter. It runs only while the network policy allows.
 */
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import type { ClipMetadata, CloudClient } from './cloud-client.js';
import { HttpError } from './http.js';
import { readJson, writeJsonAtomic } from './persist.js';

export interface QueueEntry {
  id: string;
  path: string;
  size: number;
  meta: ClipMetadata;
  metaSent: boolean;
  attempts: number;
  /** ms since the epoch */
  nextAttemptAt: number;
  lastError: string | null;
  queuedAt: number;
}

export interface UploadQueueOptions {
  /** bytes per PUT (default 1 MiB) */
  chunkSize?: number;
  /** first retry delay, ms (default 1000); doubles per failure */
  backoffMs?: number;
  /** longest retry delay, ms (default 5 min) */
  maxBackoffMs?: number;
}

export interface UploadQueueEvents {
  progress: [{ id: string; sent: number; size: number }];
  uploaded: [{ id: string; size: number }];
  retry: [{ id: string; attempts: number; delayMs: number; error: string }];
  failed: [{ id: string; error: string }];
}

export class UploadQueue extends EventEmitter<UploadQueueEvents> {
  readonly path: string;
  #entries: QueueEntry[];
  #opts: Required<UploadQueueOptions>;
  #cloud: () => CloudClient | null;
  #allowed: () => boolean;
  #running: Promise<void> | null = null;
  #stopped = true;
  #wake: (() => void) | null = null;
  #abort: AbortController | null = null;
  #current: string | null = null;

  constructor(path: string, cloud: () => CloudClient | null, allowed: () => boolean, options: UploadQueueOptions = {}) {
    super();
    this.path = path;
    this.#cloud = cloud;
    this.#allowed = allowed;
    this.#opts = {
      chunkSize: options.chunkSize ?? 1 << 20,
      backoffMs: options.backoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 300_000,
    };
    this.#entries = readJson<{ version: 1; entries: QueueEntry[] }>(path, { version: 1, entries: [] }).entries;
  }

  #save(): void {
    writeJsonAtomic(this.path, { version: 1, entries: this.#entries });
  }

  get entries(): readonly QueueEntry[] {
    return this.#entries;
  }
  has(id: string): boolean {
    return this.#entries.some((e) => e.id === id);
  }

  /** Queues a clip file (no-op when it is queued already). */
  add(id: string, path: string, meta: ClipMetadata): void {
    if (this.has(id)) return;
    this.#entries.push({
      id,
      path,
      size: statSync(path).size,
      meta,
      metaSent: false,
      attempts: 0,
      nextAttemptAt: 0,
      lastError: null,
      queuedAt: Date.now(),
    });
    this.#save();
    this.poke();
  }

  /** Drops a clip from the queue (deleted by the user); aborts its upload if running. */
  remove(id: string): void {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.id !== id);
    if (this.#entries.length !== before) this.#save();
    if (this.#current === id) this.#abort?.abort();
  }

  /** Re-evaluates now: new entries, a changed network, a sign-in. Clears backoff when `retryNow`. */
  poke(retryNow = false): void {
    if (retryNow) for (const e of this.#entries) e.nextAttemptAt = 0;
    if (!this.#allowed()) this.#abort?.abort(); // e.g. Wi-Fi lost and cellular not allowed
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  start(): void {
    if (this.#running) return;
    this.#stopped = false;
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
  }

  /** Stops the worker, interrupting an upload in flight (it resumes at the next start). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.poke();
    await this.#running;
  }

  /** Resolves when the queue has no entry left for `id` (or at all). */
  async drained(id?: string, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (id ? this.has(id) : this.#entries.length > 0) {
      if (Date.now() > end) throw new Error(`upload of ${id ?? 'the queue'} did not finish in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const cloud = this.#cloud();
      const now = Date.now();
      const ready = cloud && this.#allowed() ? this.#entries.filter((e) => e.nextAttemptAt <= now) : [];
      if (ready.length === 0) {
        const next = Math.min(...this.#entries.map((e) => e.nextAttemptAt));
        await this.#sleep(cloud && this.#allowed() && Number.isFinite(next) ? Math.max(10, next - now) : 60_000);
        continue;
      }
      const entry = ready[0]!;
      this.#abort = new AbortController();
      this.#current = entry.id;
      try {
        await this.#upload(cloud!, entry, this.#abort.signal);
        this.#entries = this.#entries.filter((e) => e !== entry);
        this.#save();
        this.emit('uploaded', { id: entry.id, size: entry.size });
      } catch (err) {
        if (!this.#entries.includes(entry)) continue; // removed meanwhile (deleted)
        const msg = (err as Error).message;
        if (err instanceof HttpError && err.status === 409 && err.code === 'exists') {
          entry.lastError = msg;
          entry.nextAttemptAt = Number.MAX_SAFE_INTEGER;
          this.#save();
          this.emit('failed', { id: entry.id, error: msg });
          continue;
        }
        const aborted = this.#abort.signal.aborted;
        if (!aborted) entry.attempts++;
        const delay = aborted
          ? 0
          : Math.min(this.#opts.maxBackoffMs, this.#opts.backoffMs * 2 ** (entry.attempts - 1)) *
            (0.5 + Math.random() / 2);
        entry.nextAttemptAt = Date.now() + delay;
        entry.lastError = msg;
        this.#save();
        if (!aborted)
          this.emit('retry', { id: entry.id, attempts: entry.attempts, delayMs: Math.round(delay), error: msg });
      } finally {
        this.#current = null;
        this.#abort = null;
      }
    }
  }

  async #upload(cloud: CloudClient, e: QueueEntry, signal: AbortSignal): Promise<void> {
    if (!e.metaSent) {
      await cloud.putMetadata(e.id, e.meta, signal);
      e.metaSent = true;
      this.#save();
    }
    let state = await cloud.offset(e.id, signal);
    if (state && state.state !== 'uploading') return; // complete already (a lost response)
    let offset = state?.offset ?? 0;
    this.emit('progress', { id: e.id, sent: offset, size: e.size });
    while (offset < e.size) {
      if (signal.aborted) throw new Error('upload interrupted');
      const end = Math.min(e.size, offset + this.#opts.chunkSize);
      try {
        const r = await cloud.putChunk(e.id, e.path, offset, end, e.size, signal);
        if (r.state !== 'uploading') {
          offset = e.size;
          break;
        }
        offset = r.offset;
      } catch (err) {
        if (err instanceof HttpError && err.status === 409 && err.code === 'offset_mismatch') {
          state = await cloud.offset(e.id, signal);
          if (state && state.state !== 'uploading') return;
          offset = state?.offset ?? 0;
          continue;
        }
        throw err;
      }
      this.emit('progress', { id: e.id, sent: offset, size: e.size });
    }
  }
}
