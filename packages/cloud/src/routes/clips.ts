/** GET /v1/clips, GET/HEAD /v1/clips/:id, PUT /v1/clips/:id/metadata, DELETE /v1/clips/:id, GET /v1/me. */
import type { FastifyInstance } from 'fastify';
import type { Service } from '../service.js';
import { uploadHeaders } from '../service.js';
import { BODY_LIMITS } from '../refusals.js';
import { clipMeta } from '../validate.js';
import type { Params } from './util.js';

export function clipRoutes(app: FastifyInstance, svc: Service): void {
  app.get('/v1/me', async (req) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    return { id: user.id, name: user.name };
  });

  app.get('/v1/clips', async (req) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    return svc.list(user, req.query as Record<string, unknown>);
  });

  app.get<{ Params: Params }>('/v1/clips/:id', async (req) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    return svc.view(await svc.clip(user, req.params.id));
  });

  // Upload status: how much of an interrupted upload the server has (Upload-Offset).
  app.head<{ Params: Params }>('/v1/clips/:id', async (req, reply) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    const row = await svc.clip(user, req.params.id);
    return reply
      .headers({ ...uploadHeaders(row), 'cache-control': 'no-store' })
      .code(200)
      .send();
  });

  app.put<{ Params: Params }>('/v1/clips/:id/metadata', { bodyLimit: BODY_LIMITS.metadata }, async (req) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    const meta = clipMeta(req.body, svc.config.maxTraceSamples);
    return svc.view(await svc.putMetadata(user, req.params.id, meta));
  });

  app.delete<{ Params: Params }>('/v1/clips/:id', async (req, reply) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    await svc.remove(user, req.params.id);
    return reply.code(204).send();
  });
}
