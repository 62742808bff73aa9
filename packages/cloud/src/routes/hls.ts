/**
 * GET /v1/clips/:id/hls/{master.m3u8, <camera>.m3u8, <camera>.iframes.m3u8, <camera>-init.mp4,
 * <camera>-<n>.m4s, <camera>.mp4}:
 * the clip per camera as HLS (segments: slices of a virtual fMP4 the engine lays out from
 * the stored file). Bearer token, or a signed URL made for track=hls; every URI in a playlist
 * carries a signed query, so a player without the header can follow it.
 * GET /v1/clips/:id/download?track=road|cabin|both: the file to save (per camera: that
 * camera with the clip's audio and telemetry).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { masterPlaylist } from 'ringclip';
import { HttpError, badRequest } from '../errors.js';
import { sendVideo } from '../http-range.js';
import type { Service } from '../service.js';
import type { Params } from './util.js';

const PLAYLIST = 'application/vnd.apple.mpegurl';

export function hlsRoutes(app: FastifyInstance, svc: Service): void {
  app.get<{ Params: Params & { file: string }; Querystring: Record<string, string> }>(
    '/v1/clips/:id/hls/:file',
    async (req, reply) => {
      const q = req.query;
      // The bearer token's user, or a signed link's (looked up once, by the request-budget hook
      // too); a request with neither is a 401 like every other API request.
      const user = (await svc.whoIs(req)) ?? (await svc.authenticate(req.headers.authorization, req));
      const signed = !req.headers.authorization;
      if (signed && q.track !== 'hls')
        throw new HttpError(403, 'wrong_link', 'this link is signed for another video of the clip, not its HLS');
      const row = await svc.clip(user, req.params.id);
      const query = signed
        ? new URLSearchParams({ track: 'hls', u: q.u!, exp: q.exp!, sig: q.sig! }).toString()
        : svc.hlsQuery(row);
      const file = req.params.file;
      const cameras = row.tracks.map((t) => t.role);
      if (file === 'master.m3u8') {
        const list = await Promise.all(
          cameras.map(async (role) => ({
            name: role,
            rendition: await svc.hls(row, role),
            playlist: `${role}.m3u8`,
            iframes: `${role}.iframes.m3u8`,
          })),
        );
        return send(reply, masterPlaylist(list, { query }));
      }
      const m = /^(road|cabin)(?:(\.iframes\.m3u8|\.m3u8)|(\.mp4|-init\.mp4|-\d+\.m4s))$/.exec(file);
      if (!m)
        throw new HttpError(
          404,
          'not_found',
          `no HLS file '${file}': master.m3u8, <camera>.m3u8, <camera>.iframes.m3u8, <camera>-init.mp4, <camera>-<n>.m4s or <camera>.mp4 (cameras: ${cameras.join(', ')})`,
        );
      const camera = m[1]!;
      const hls = await svc.hls(row, camera);
      if (m[3]) {
        const part = hls.part(file, camera);
        if (!part)
          throw new HttpError(
            404,
            'no_segment',
            `no segment '${file}': the playlist lists ${hls.segmentCount} (${camera}-0.m4s to ${camera}-${hls.segmentCount - 1}.m4s)`,
          );
        return sendVideo(req, reply, svc.hlsVideo(row, camera, hls, part));
      }
      const options = { name: camera, query };
      return send(reply, m[2] === '.iframes.m3u8' ? hls.iframePlaylist(options) : hls.mediaPlaylist(options));
    },
  );

  const download = async (
    req: FastifyRequest<{ Params: Params; Querystring: Record<string, string> }>,
    reply: FastifyReply,
  ) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    const row = await svc.clip(user, req.params.id);
    const track = req.query.track ?? 'both';
    if (track !== 'both' && track !== 'road' && track !== 'cabin')
      throw badRequest(`track must be road, cabin or both, got ${JSON.stringify(track)}`);
    const src = await svc.download(row, track);
    reply.header('content-disposition', `attachment; filename="${row.id}${track === 'both' ? '' : `-${track}`}.mp4"`);
    return sendVideo(req, reply, src);
  };
  app.get('/v1/clips/:id/download', download);
  app.head('/v1/clips/:id/download', download);
}

function send(reply: FastifyReply, text: string): FastifyReply {
  return reply.code(200).headers({ 'content-type': PLAYLIST, 'cache-control': 'private, no-cache' }).send(text);
}
