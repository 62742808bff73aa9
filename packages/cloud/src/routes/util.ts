import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';

/** Base URL for links (share links, signed video URLs): RINGCLIP_PUBLIC_URL, else the request's host. */
export function baseUrl(config: Config, req: FastifyRequest): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.host}`;
}
export type Params = { id: string };
