/** GET/HEAD /v1/clips/:id/video?track=road|cabin|both — Bearer token or a signed URL. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendVideo } from '../http-range.js';
import type { Service } from '../service.js';
import type { Params } from './util.js';

export function videoRoutes(app: FastifyInstance, svc: Service): void {
  const handler = async (
    req: FastifyRequest<{ Params: Params; Querystring: Record<string, string> }>,
    reply: FastifyReply,
  ) => {
    const q = req.query;
    // The bearer token's user or the signed URL's (server.ts found it for the request budget).
    const user = (await svc.whoIs(req)) ?? (await svc.authenticate(req.headers.authorization, req));
    const row = await svc.clip(user, req.params.id);
    const src = await svc.video(row, q.track ?? 'both');
    return sendVideo(req, reply, src);
  };
  app.get('/v1/clips/:id/video', handler);
  app.head('/v1/clips/:id/video', handler);
}
