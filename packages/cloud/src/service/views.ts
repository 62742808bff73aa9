/** What the API shows of clips: the list, a clip's JSON, and its video as a range-readable source. */
import type { Readable } from 'node:stream';
import { mp4WriterVersion } from 'ringclip';
import { HttpError, badRequest } from '../errors.js';
import { AUDIO } from '../media.js';
import type { ClipRow, User } from '../meta.js';
import type { Auth } from './auth.js';
import { VISIBLE, copyName, type ServiceContext, type Track } from './context.js';
import { KIND, intParam, parseTime } from '../validate.js';
import type { ViewMap } from '../view-map.js';

/** A range-addressable video for the HTTP layer. */
export interface VideoSource {
  size: number;
  /** strong: the same bytes always carry the same tag (no file times in it) */
  etag: string;
  contentType: string;
  lastModified: number;
  /**
   * The bytes: a file on this machine as the views of its mapping (sent by sendfile where the
   * engine can), or a stream of bytes [start, end) of a file that is not (S3).
   */
  body: ViewMap | ((start: number, endExclusive: number) => Promise<Readable>);
}

export class Views {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly auth: Auth,
  ) {}

  async list(user: User, q: Record<string, unknown>) {
    const limit = intParam(q.limit, 'limit', 1, 200, 50);
    const kinds = typeof q.kind === 'string' && q.kind ? q.kind.split(',') : undefined;
    for (const k of kinds ?? []) if (!KIND.test(k)) throw badRequest(`kind filter: ${JSON.stringify(k)} is not a kind`);
    const from = q.from ? parseTime(q.from, 'from') : undefined;
    const to = q.to ? parseTime(q.to, 'to') : undefined;
    let after: { time: number; id: string } | undefined;
    if (typeof q.cursor === 'string' && q.cursor) {
      const m = /^(-?\d+)~([0-9a-f-]{36})$/.exec(Buffer.from(q.cursor, 'base64url').toString());
      if (!m) throw badRequest('cursor is not one this server handed out');
      after = { time: Number(m[1]), id: m[2] };
    }
    const rows = await this.ctx.meta.listClips(user.id, { limit: limit + 1, kinds, from, to, after, states: VISIBLE });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      clips: page.map((r) => this.view(r)),
      nextCursor: rows.length > limit && last ? Buffer.from(`${last.time}~${last.id}`).toString('base64url') : null,
    };
  }

  /** JSON of a clip (the API's Clip object). */
  view(r: ClipRow, videoBase: ((t: Track) => string) | null = null) {
    const ready = r.state === 'ready';
    const v: Record<string, unknown> = {
      id: r.id,
      state: r.state,
      kind: r.kind,
      time: new Date(r.time).toISOString(),
      title: r.meta.title ?? null,
      eventOffset: r.meta.eventOffset ?? null,
      duration: r.duration,
      size: ready ? r.size : null,
      sha256: r.sha256,
      tracks: r.tracks.map((t) => ({
        role: t.role,
        name: t.name,
        width: t.width,
        height: t.height,
        offset: t.offset,
        duration: t.duration,
      })),
      location: r.meta.location ?? null,
      hasTrace: !!r.meta.hasTelemetry,
      hasAudio: !!r.meta.hasAudio,
      trimmedFrom: r.trim ? { id: r.trim.sourceId, from: r.trim.from, to: r.trim.to, exact: r.trim.exact } : null,
      error: r.error,
      createdAt: new Date(r.createdAt).toISOString(),
    };
    if (r.state === 'uploading') v.upload = { received: r.received, size: r.size };
    if (ready) {
      const tracks: Track[] = [
        'both',
        ...r.tracks.map((t) => t.role),
        ...(r.meta.hasAudio ? (['audio'] as const) : []),
      ];
      v.video = Object.fromEntries(tracks.map((t) => [t, videoBase ? videoBase(t) : this.auth.videoUrl(r, t)]));
      // HLS of each camera (and the master playlist of both), signed like the video links:
      // for players that stream by segment (hls.js, Safari's native HLS). Owner views only:
      // a share link serves its files, not the clip's HLS.
      if (!videoBase) {
        const query = this.auth.hlsQuery(r);
        const base = `/v1/clips/${r.id}/hls/`;
        v.hls = Object.fromEntries([
          ['master', `${base}master.m3u8?${query}`],
          ...r.tracks.map((t) => [t.role, `${base}${t.role}.m3u8?${query}`]),
        ]);
      }
    }
    return v;
  }

  /** What GET …/video serves: the stored file as is (both) or a per-track virtual MP4 cut by the engine. */
  async video(row: ClipRow, track: string): Promise<VideoSource> {
    if (row.state !== 'ready' || !row.blobKey || !row.sha256) {
      throw new HttpError(409, 'not_ready', `the clip is ${row.state}: its video is not available yet`);
    }
    if (track === 'both') {
      const key = row.blobKey;
      // A stored file on this machine (the local store, or this instance's copy of an S3
      // object) is sent from its mapping; otherwise streamed from S3 by range.
      const local = this.ctx.blobs.localPath(key) ?? (await this.ctx.copies.peek(copyName(row)));
      const map = local ? await this.ctx.virtual.get(`${copyName(row)}/both`, local, null) : null;
      return {
        size: row.size!,
        etag: `"${row.sha256.slice(0, 40)}"`,
        contentType: 'video/mp4',
        lastModified: row.updatedAt,
        body: map ?? ((s, e) => this.ctx.blobs.readRange(key, s, e)),
      };
    }
    if (track !== 'road' && track !== 'cabin' && track !== 'audio')
      throw badRequest(`track must be road, cabin, audio or both, got ${JSON.stringify(track)}`);
    // audio: the cabin microphone's track alone, for the viewer's <audio> element (which
    // follows the videos' clock as the cabin video follows the road one).
    const t = track === 'audio' ? null : row.tracks.find((x) => x.role === track);
    if (track !== 'audio' && !t) throw new HttpError(404, 'no_such_track', `this clip has no ${track} track`);
    const name = copyName(row);
    const path = await this.ctx.copies.get(row.blobKey, name);
    const map = await this.ctx.virtual.get(`${name}/${track}`, path, t ? t.name : AUDIO);
    // The bytes follow from the stored file (its hash), the track and the MP4 writer's
    // version: the tag says just that, never a local copy's path or modification time.
    const etag = `"${row.sha256.slice(0, 32)}-${track}-w${mp4WriterVersion}"`;
    return {
      size: map.size,
      etag,
      contentType: 'video/mp4',
      lastModified: row.updatedAt,
      body: map,
    };
  }
}
