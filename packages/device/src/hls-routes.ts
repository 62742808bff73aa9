/**
 * HLS over the Wi-Fi API: a drive (or any range) per camera as media and I-frame playlists
 * over a virtual fMP4, made from the store's index on every request (nothing is stored).
 * The drive being recorded is an EVENT playlist that grows. docs/device-api.md, "HLS".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { masterPlaylist, type HlsRendition, type VirtualMP4 } from 'ringclip';
import type { Dashcam } from './dashcam.js';

export class HlsApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Serves bytes [part.start, part.end) of the rendition's file by range, then releases it. */
export type ServeFile = (
  req: FastifyRequest,
  reply: FastifyReply,
  rendition: HlsRendition,
  part: VirtualMP4,
  filename: string,
) => FastifyReply;
type Range = { from: number; to: number; live: boolean; name: string };

const PLAYLIST = 'application/vnd.apple.mpegurl';

/**
 * The query every URI of a playlist carries: relative URIs drop the playlist's own, so its
 * parameters (from/to, access_token) are repeated; a token sent as a header is added as
 * access_token, so a player that cannot send headers can follow the playlist.
 */
export function playlistQuery(req: FastifyRequest): string {
  const raw = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  const params = new URLSearchParams(raw);
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer && !params.has('access_token')) params.set('access_token', bearer);
  return params.toString();
}

export function hlsRoutes(
  app: FastifyInstance,
  device: Dashcam,
  serveFile: ServeFile,
  parseRange: (q: Record<string, string | undefined>) => { from: number; to: number },
): void {
  const cameras = () => device.store.streams.filter((s) => device.store.streamKinds[s] === 'video');
  const audio = () => device.store.streams.filter((s) => device.store.streamKinds[s] === 'audio');

  const driveRange = (id: string): Range => {
    const info = device.store.info();
    const drive = info.drives.find((d) => String(d.id) === id);
    if (!drive) throw new HlsApiError(404, 'no_drive', `no drive '${id}': GET /drives lists them`);
    if (drive.first === null || drive.last === null)
      throw new HlsApiError(404, 'no_footage', `drive ${id} has no footage left`);
    // The drive since power-on is open until power-off, recording or not: it may still grow.
    const live = drive.id === info.currentDrive && device.powered;
    if (!live) return { from: drive.first, to: drive.last + 1, live, name: `drive-${id}` };
    // Up to what every stream has recorded, so a listed GOP already has all of its audio.
    let to = Infinity;
    for (const s of [...cameras(), ...audio()]) {
      const last = device.store.lastDts(s);
      if (last !== null) to = Math.min(to, last);
    }
    return {
      from: drive.first,
      to: Number.isFinite(to) ? Math.max(to, drive.first + 1) : drive.last + 1,
      live,
      name: `drive-${id}`,
    };
  };

  const rendition = (range: Range, camera: string): HlsRendition => {
    if (!cameras().includes(camera))
      throw new HlsApiError(404, 'no_camera', `no camera '${camera}': this device records ${cameras().join(', ')}`);
    const clip = device.store.clip({
      from: range.from,
      to: range.to,
      streams: [camera, ...audio()],
      allowPartial: true,
    });
    try {
      return clip.toHls({ live: range.live });
    } finally {
      clip.release(); // the rendition's file keeps its own pins
    }
  };

  const playlist = (reply: FastifyReply, text: string, live: boolean) =>
    reply
      .code(200)
      .headers({ 'content-type': PLAYLIST, 'cache-control': live ? 'no-cache' : 'private, no-cache' })
      .send(text);

  const serve = (range: (req: FastifyRequest) => Range) => async (req: FastifyRequest, reply: FastifyReply) => {
    const file = (req.params as { file: string }).file;
    const r = range(req);
    const query = playlistQuery(req);
    if (file === 'master.m3u8') {
      const list = cameras().map((name) => ({
        name,
        rendition: rendition(r, name),
        playlist: `${name}.m3u8`,
        iframes: `${name}.iframes.m3u8`,
      }));
      try {
        return playlist(reply, masterPlaylist(list, { query }), r.live);
      } finally {
        for (const c of list) c.rendition.release();
      }
    }
    const m = /^([\w.]+?)(?:(\.iframes\.m3u8|\.m3u8)|(\.mp4|-init\.mp4|-\d+\.m4s))$/.exec(file);
    if (!m)
      throw new HlsApiError(
        404,
        'not_found',
        `no HLS file '${file}': master.m3u8, <camera>.m3u8, <camera>.iframes.m3u8, <camera>-init.mp4, <camera>-<n>.m4s or <camera>.mp4`,
      );
    const camera = m[1]!;
    const hls = rendition(r, camera);
    if (m[3]) {
      // The part alone: a segment of an hour-long drive lays out its GOP, not the hour.
      const part = hls.partFile(file, camera);
      if (!part) {
        hls.release();
        throw new HlsApiError(
          404,
          'no_segment',
          `no segment '${file}': the playlist lists ${hls.segmentCount} (${camera}-0.m4s to ${camera}-${hls.segmentCount - 1}.m4s)`,
        );
      }
      return serveFile(req, reply, hls, part, m[3] === '.mp4' ? `${r.name}-${camera}.mp4` : `${r.name}-${file}`);
    }
    try {
      const options = { name: camera, query };
      return playlist(
        reply,
        m[2] === '.iframes.m3u8' ? hls.iframePlaylist(options) : hls.mediaPlaylist(options),
        r.live,
      );
    } finally {
      hls.release();
    }
  };

  app.get(
    '/drives/:id/hls/:file',
    serve((req) => driveRange((req.params as { id: string }).id)),
  );
  app.get(
    '/footage/hls/:file',
    serve((req) => ({ ...parseRange(req.query as Record<string, string | undefined>), live: false, name: 'footage' })),
  );
}
