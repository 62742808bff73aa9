/**
 * Share links: POST/GET /v1/clips/:id/share(s), DELETE /v1/clips/:id/shares/:shareId, and
 * the public side /s/:token (viewer page), /s/:token/clip (JSON), /s/:token/video.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import { sendVideo } from '../http-range.js';
import type { Service, Track } from '../service.js';
import { baseUrl, type Params } from './util.js';
import { sendPage } from './viewer.js';

/** listenUrl: this server's own address once it listens (the default base of share links). */
export function shareRoutes(app: FastifyInstance, svc: Service, listenUrl: () => string): void {
  app.post<{ Params: Params }>('/v1/clips/:id/share', async (req, reply) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    // No body at all: the defaults. A body must be a JSON object (null, arrays, numbers: 400).
    const body = req.body === undefined ? {} : req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('send a JSON object { expiresIn?, expiresAt? } or no body');
    reply.code(201);
    return svc.share(user, req.params.id, body as Record<string, unknown>, baseUrl(svc.config, req, listenUrl()));
  });
  app.get<{ Params: Params }>('/v1/clips/:id/shares', async (req) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    return { shares: await svc.shares(user, req.params.id) };
  });
  app.delete<{ Params: Params & { shareId: string } }>('/v1/clips/:id/shares/:shareId', async (req, reply) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    await svc.revokeShare(user, req.params.id, req.params.shareId);
    return reply.code(204).send();
  });

  type S = FastifyRequest<{ Params: { token: string }; Querystring: { track?: string } }>;
  app.get('/s/:token', async (req: S, reply) => {
    await svc.shared(req.params.token); // expired or revoked: the error page, not the viewer
    return sendPage(reply, 'index.html');
  });
  app.get('/s/:token/clip', async (req: S, reply) => {
    const { row } = await svc.shared(req.params.token);
    reply.header('cache-control', 'no-store');
    const v = svc.view(row, (t: Track) => `/s/${req.params.token}/video?track=${t}`);
    delete v.trimmedFrom;
    return { ...v, shared: true };
  });
  const video = async (req: S, reply: FastifyReply) => {
    const { row } = await svc.shared(req.params.token);
    return sendVideo(req, reply, await svc.video(row, req.query.track ?? 'both'), 'private, no-cache');
  };
  app.get('/s/:token/video', video);
  app.head('/s/:token/video', video);
}
