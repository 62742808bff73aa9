/**
 * The cloud API as the phone uses it (packages/cloud, docs/cloud-api.md): resumable,
 * idempotent uploads (PUT /v1/clips/:id with Content-Range, HEAD for the offset),
 * metadata, listing, video URLs and DELETE.
 */
import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import { HttpError, json, request } from './http.js';

export interface CloudClip {
  id: string;
  state: 'uploading' | 'ready' | 'processing' | 'failed';
  kind: string;
  time: string;
  title: string | null;
  duration: number | null;
  size: number | null;
  sha256: string | null;
  tracks: Array<{ role: string; name: string; width: number; height: number }>;
  video?: Record<string, string>;
  upload?: { received: number; size: number | null };
}

export interface ClipMetadata {
  kind?: string;
  time?: string;
  eventOffset?: number;
  title?: string;
  /** where the event happened (the clip's camm track has the whole GPS track) */
  location?: { lat: number; lon: number };
}

export class CloudClient {
  readonly url: string;
  readonly token: string;

  constructor(url: string, token: string) {
    this.url = url.replace(/\/+$/, '');
    this.token = token;
  }

  #h(extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  me(signal?: AbortSignal): Promise<{ id: string; name: string }> {
    return json(`${this.url}/v1/me`, { headers: this.#h(), signal });
  }

  async list(signal?: AbortSignal): Promise<CloudClip[]> {
    const out: CloudClip[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
      const page: { clips: CloudClip[]; nextCursor: string | null } = await json(`${this.url}/v1/clips?${q}`, {
        headers: this.#h(),
        signal,
      });
      out.push(...page.clips);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  async get(id: string, signal?: AbortSignal): Promise<CloudClip | null> {
    try {
      return await json<CloudClip>(`${this.url}/v1/clips/${id}`, { headers: this.#h(), signal });
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return null;
      throw err;
    }
  }

  /** Upload-Offset of a (partial) upload, and the clip's state; null when the server has nothing. */
  async offset(
    id: string,
    signal?: AbortSignal,
  ): Promise<{ offset: number; state: string; length: number | null } | null> {
    try {
      const res = await request(`${this.url}/v1/clips/${id}`, { method: 'HEAD', headers: this.#h(), signal });
      const len = res.headers.get('upload-length');
      return {
        offset: Number(res.headers.get('upload-offset') ?? 0),
        state: res.headers.get('clip-state') ?? 'uploading',
        length: len ? Number(len) : null,
      };
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return null;
      throw err;
    }
  }

  putMetadata(id: string, meta: ClipMetadata, signal?: AbortSignal): Promise<CloudClip> {
    return json(`${this.url}/v1/clips/${id}/metadata`, {
      method: 'PUT',
      headers: this.#h({ 'content-type': 'application/json' }),
      body: JSON.stringify(meta),
      signal,
    });
  }

  /** Sends bytes [start, end) of the file as one Content-Range chunk. */
  async putChunk(
    id: string,
    path: string,
    start: number,
    end: number,
    total: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; offset: number; state: string }> {
    const fh = await open(path, 'r');
    let buf: Buffer;
    try {
      buf = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      if (bytesRead !== buf.length) throw new Error(`${path} is shorter than expected (${start + bytesRead} < ${end})`);
    } finally {
      await fh.close();
    }
    const res = await request(`${this.url}/v1/clips/${id}`, {
      method: 'PUT',
      signal,
      body: buf,
      headers: this.#h({
        'content-type': 'application/octet-stream',
        'content-range': `bytes ${start}-${end - 1}/${total}`,
      }),
    });
    await res.arrayBuffer();
    return {
      status: res.status,
      offset: Number(res.headers.get('upload-offset') ?? end),
      state: res.headers.get('clip-state') ?? (res.status === 202 ? 'uploading' : 'ready'),
    };
  }

  /** Deletes the clip permanently; true if it existed. */
  async remove(id: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await request(`${this.url}/v1/clips/${id}`, { method: 'DELETE', headers: this.#h(), signal });
      return true;
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return false;
      throw err;
    }
  }

  /** GET /v1/clips/:id/download?track=: the clip (both) or one camera with its audio, written to `out`. */
  async download(id: string, track: 'both' | 'road' | 'cabin', out: string, signal?: AbortSignal): Promise<number> {
    const res = await request(`${this.url}/v1/clips/${id}/download?track=${track}`, { headers: this.#h(), signal });
    const bytes = Buffer.from(await res.arrayBuffer());
    await writeFile(out, bytes);
    return bytes.length;
  }

  /** The clip's video (both tracks) as the cloud serves it (a signed URL when ready). */
  async videoUrl(id: string, track: 'both' | 'road' | 'cabin' = 'both'): Promise<string | null> {
    const c = await this.get(id);
    const u = c?.video?.[track];
    return u ? new URL(u, this.url).toString() : null;
  }
}

export const newClipId = (): string => randomUUID();
