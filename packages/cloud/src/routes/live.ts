/**
 * Emergency live links: POST/GET /v1/live, GET/DELETE /v1/live/:id, PUT /v1/live/:id/stream
 * (the publisher), and the public side /l/:token (player page), /l/:token/info (JSON),
 * /l/:token/stream?stream=road (fMP4 for Media Source Extensions).
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { Service } from '../service.js';
import type { LiveRelay } from '../service/live.js';
import { baseUrl } from './util.js';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
/** The viewer's policy (MSE's blob: media included), with no form submissions at all. */
const LIVE_CSP =
  "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const FILES: Record<string, string> = {
  'live.html': 'text/html; charset=utf-8',
  'live.js': 'text/javascript; charset=utf-8',
};

function sendFile(reply: FastifyReply, name: string) {
  return reply
    .header('content-type', FILES[name]!)
    .header('cache-control', 'no-cache')
    .header('content-security-policy', LIVE_CSP)
    .header('referrer-policy', 'no-referrer')
    .send(readFileSync(WEB + name));
}

type Id = { Params: { id: string } };
type Tok = FastifyRequest<{ Params: { token: string }; Querystring: { stream?: string } }>;

/** listenUrl: this server's own address once it listens (the default base of live links). */
export function liveRoutes(app: FastifyInstance, svc: Service, relay: LiveRelay, listenUrl: () => string): void {
  app.post('/v1/live', async (req, reply) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    const body = req.body;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
      throw new HttpError(400, 'bad_request', 'the body is a JSON object');
    reply.code(201);
    return relay.create(user, (body ?? {}) as Record<string, unknown>, baseUrl(svc.config, req, listenUrl()));
  });
  app.get('/v1/live', async (req) => ({ links: relay.list(await svc.authenticate(req.headers.authorization, req)) }));
  app.get<Id>('/v1/live/:id', async (req) =>
    relay.get(await svc.authenticate(req.headers.authorization, req), req.params.id),
  );
  app.delete<Id>('/v1/live/:id', async (req, reply) => {
    await relay.revoke(await svc.authenticate(req.headers.authorization, req), req.params.id);
    return reply.code(204).send();
  });
  app.put<Id>('/v1/live/:id/stream', async (req) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    const type = String(req.headers['content-type'] ?? '');
    if (!/^(video\/mp4|application\/octet-stream)\b/.test(type))
      throw new HttpError(415, 'unsupported_media_type', 'send the live fragmented MP4 as video/mp4');
    return relay.publish(user, req.params.id, req.body as Readable);
  });

  app.get('/l/:token', async (req: Tok, reply) => {
    relay.byToken(req.params.token); // revoked or expired: the error page, not the player
    return sendFile(reply, 'live.html');
  });
  app.get('/web/live.js', (_req, reply) => sendFile(reply, 'live.js'));
  app.get('/l/:token/info', async (req: Tok, reply) => {
    const view = relay.byToken(req.params.token);
    reply.header('cache-control', 'no-store');
    return { state: view.state, streams: view.streams, event: view.event, expiresAt: view.expiresAt };
  });
  app.get('/l/:token/stream', async (req: Tok, reply) => {
    relay.watch(req.params.token, req.query.stream ?? 'road', reply.raw);
    return reply.hijack();
  });
}
