/** The web viewer: a fixed set of static files (no user path ever reaches the filesystem). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const cache = new Map<string, Buffer>();

export const CSP =
  "default-src 'self'; media-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function sendPage(reply: FastifyReply, name: keyof typeof FILES) {
  const type = FILES[name];
  if (!type) return reply.code(404).send();
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(WEB + name);
    cache.set(name, body);
  }
  return reply
    .header('content-type', type)
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(body);
}

export function viewerRoutes(app: FastifyInstance): void {
  app.get('/', (_req, reply) => sendPage(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/web/:file', (req, reply) =>
    sendPage(reply, Object.hasOwn(FILES, req.params.file) ? req.params.file : ''),
  );
}
