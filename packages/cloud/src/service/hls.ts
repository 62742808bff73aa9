/** Per-camera HLS renditions and downloads of stored clips (routes/hls.ts). */
import { mp4WriterVersion, type HlsRendition } from 'ringclip';
import { HttpError, badRequest } from '../errors.js';
import type { HlsCache } from '../media.js';
import type { ClipRow } from '../meta.js';
import { ViewMap } from '../view-map.js';
import { copyName, type ServiceContext } from './context.js';
import type { VideoSource } from './views.js';

export class HlsViews {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly cache: HlsCache,
  ) {}

  #track(row: ClipRow, role: string) {
    if (row.state !== 'ready' || !row.blobKey || !row.sha256)
      throw new HttpError(409, 'not_ready', `the clip is ${row.state}: its video is not available yet`);
    if (role !== 'road' && role !== 'cabin')
      throw badRequest(`track must be road or cabin, got ${JSON.stringify(role)}`);
    const t = row.tracks.find((x) => x.role === role);
    if (!t) throw new HttpError(404, 'no_such_track', `this clip has no ${role} track`);
    return t;
  }

  /** One camera of the clip (with its audio) as an HLS rendition. */
  async rendition(row: ClipRow, role: string): Promise<HlsRendition> {
    const t = this.#track(row, role);
    const name = copyName(row);
    const path = await this.ctx.copies.get(row.blobKey!, name);
    return this.cache.get(`${name}/hls/${role}`, path, t.name);
  }

  /** Bytes [part.start, part.end) of the rendition's fMP4 (a segment, the init, the whole file) for the HTTP layer. */
  video(row: ClipRow, role: string, hls: HlsRendition, part: { start: number; end: number }): VideoSource {
    const file = hls.file;
    const views = new ViewMap(file.views(part.start, part.end), (fd, s, e) =>
      file.sendTo(fd, part.start + s, part.start + e),
    );
    return {
      size: views.size,
      etag: `"${row.sha256!.slice(0, 32)}-hls-${role}-${part.start}-${part.end}-w${mp4WriterVersion}"`,
      contentType: 'video/mp4',
      lastModified: row.updatedAt,
      body: views,
    };
  }

  /** A download: the stored file (both), or one camera with the clip's audio and telemetry. */
  async download(row: ClipRow, track: string, both: () => Promise<VideoSource>): Promise<VideoSource> {
    if (track === 'both') return both();
    const t = this.#track(row, track);
    const name = copyName(row);
    const path = await this.ctx.copies.get(row.blobKey!, name);
    const map = await this.ctx.virtual.get(`${name}/download/${track}`, path, t.name, true);
    return {
      size: map.size,
      etag: `"${row.sha256!.slice(0, 32)}-download-${track}-w${mp4WriterVersion}"`,
      contentType: 'video/mp4',
      lastModified: row.updatedAt,
      body: map,
    };
  }
}
