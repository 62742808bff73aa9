import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { HttpError } from '../errors.js';

/**
 * Base URL of share links: RINGCLIP_PUBLIC_URL; else, told to trust it (RINGCLIP_TRUST_HOST=1,
 * behind a proxy that sets Host), the request's Host; else this server's own address when it
 * listens on loopback. Never an untrusted Host: a link built from it would send the people a
 * user shares with to whatever host the request named.
 */
export function baseUrl(config: Config, req: FastifyRequest, listenUrl: string): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  if (config.trustHost) return `${req.protocol}://${req.host}`;
  if (/^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(listenUrl)) return listenUrl;
  throw new HttpError(
    503,
    'no_public_url',
    'share links need the public URL of this service: set RINGCLIP_PUBLIC_URL (or RINGCLIP_TRUST_HOST=1 behind a proxy that sets Host)',
  );
}
export type Params = { id: string };
