/** POST /v1/clips/:id/trim — server-side cutting into a new clip (queued; ?wait=SECONDS to wait for it). */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import type { Service } from '../service.js';
import { intParam } from '../validate.js';
import type { Params } from './util.js';

export function trimRoutes(app: FastifyInstance, svc: Service): void {
  app.post<{ Params: Params; Querystring: { wait?: string } }>('/v1/clips/:id/trim', async (req, reply) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('send a JSON object { from, to, exact?, tracks?, id?, kind?, title? }');
    const wait = intParam(req.query.wait, 'wait', 0, 60, 0);
    let row = await svc.trim(user, req.params.id, body as Record<string, unknown>);
    if (wait > 0 && row.state === 'processing') row = await svc.waitFor(user, row.id, wait);
    reply.header('location', `/v1/clips/${row.id}`);
    return reply.code(row.state === 'processing' ? 202 : row.state === 'failed' ? 422 : 201).send(svc.view(row));
  });
}
