/**
 * The cloud's emergency live links as a publisher uses them (docs/cloud-api.md, "Live"):
 * create a link (the cloud notifies the contacts), send a live fragmented MP4 to it, revoke
 * it. The phone and a dashcam with its own connectivity share this: the bytes are relayed
 * as the device's engine made them, never parsed here.
 */
import type { CloudClient } from './cloud-client.js';
import { HttpError, json, request } from './http.js';

export interface EmergencyContact {
  name: string;
  /** the cloud POSTs the link here as JSON (a relay to SMS, mail or chat) */
  webhook?: string;
  phone?: string;
  email?: string;
}

export interface LiveLink {
  id: string;
  /** the share link (shown once): anyone holding it watches live until it expires or is revoked */
  url: string;
  expiresAt: string;
  streams: string[];
  state: string;
  contacts: number;
}

export interface NewLiveLink {
  streams: string[];
  /** seconds (default on the cloud: 1 h) */
  expiresIn?: number;
  contacts?: EmergencyContact[];
  event?: { kind: string; time: string };
}

export function createLiveLink(cloud: CloudClient, link: NewLiveLink, signal?: AbortSignal): Promise<LiveLink> {
  return json(`${cloud.url}/v1/live`, {
    method: 'POST',
    signal,
    body: JSON.stringify(link),
    headers: { authorization: `Bearer ${cloud.token}`, 'content-type': 'application/json' },
  });
}

export async function revokeLiveLink(cloud: CloudClient, id: string, signal?: AbortSignal): Promise<void> {
  await request(`${cloud.url}/v1/live/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${cloud.token}` },
    signal,
  });
}

/**
 * Sends one live fMP4 body to the link until the body ends, the link ends, or `signal`
 * aborts. Resolves 'ended' when the cloud says the link is over (410: revoked or expired),
 * else 'dropped' (the publisher may send again: the relay skips what it already has).
 */
export async function publishLive(
  cloud: CloudClient,
  id: string,
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<'ended' | 'dropped'> {
  try {
    const res = await request(`${cloud.url}/v1/live/${id}/stream`, {
      method: 'PUT',
      signal,
      body,
      duplex: 'half',
      headers: { authorization: `Bearer ${cloud.token}`, 'content-type': 'video/mp4' },
    } as RequestInit);
    const r = (await res.json()) as { ended: string | null };
    return r.ended ? 'ended' : 'dropped';
  } catch (err) {
    if (err instanceof HttpError && (err.status === 410 || err.status === 404)) return 'ended';
    if (signal?.aborted) throw err;
    // The relay cuts the connection when it ends the link (revoked, expired): ask which it was.
    const state = await liveLinkState(cloud, id, signal);
    if (state !== 'waiting' && state !== 'live') return 'ended';
    throw err;
  }
}

/** The link's state (waiting, live, expired, revoked, closed), or 'gone' when the cloud no longer knows it. */
export async function liveLinkState(cloud: CloudClient, id: string, signal?: AbortSignal): Promise<string> {
  try {
    return (
      await json<{ state: string }>(`${cloud.url}/v1/live/${id}`, {
        headers: { authorization: `Bearer ${cloud.token}` },
        signal,
      })
    ).state;
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return 'gone';
    throw err;
  }
}
