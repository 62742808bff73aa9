/**
 * The dashcam's Wi-Fi API as the phone uses it (packages/device, docs/device-api.md):
 * POST /pair, GET /status, GET/PATCH /settings, /drives, /events, POST /events/:id/ack, GET /events/:id/clip,
 * GET /footage, GET /live. Every call but /pair carries the bearer token pairing returned.
 */
import { saveBody, type Progress } from './download.js';
import { json, request } from './http.js';

export interface DeviceStatus {
  powered: boolean;
  recording: boolean;
  time: string;
  drive: number;
  oldestFootage: string | null;
  newestFootage: string | null;
  cameras: Array<{ name: string; width: number; height: number; fps: number }>;
  events: { total: number; unacknowledged: number };
  storage: { capacity: number; used: number };
  /** every stream of the device's memory and whether it is written now (absent on older devices) */
  streams?: Array<{ name: string; kind: 'video' | 'audio' | 'metadata'; recording: boolean }>;
}

export interface DeviceDrive {
  id: number;
  from: string | null;
  to: string | null;
  frames: number;
  streams: string[];
  current: boolean;
}

export interface DeviceEventJson {
  id: string;
  kind: string;
  time: string;
  peakG: number | null;
  window: { from: string; to: string };
  drive: number;
  complete: boolean;
  acknowledged: boolean;
  protected: boolean;
  /** where the car was (null: unknown) */
  location?: { latitude: number; longitude: number } | null;
  /** detected events: the incident that made it, then each one that extended its window */
  triggers?: Array<{ kind: string; time: string; detectedAt: string; peakG: number }>;
  /** the cloud clip id a dashcam with its own connectivity uploads this event's clip as */
  cloudClip?: string | null;
  /** the dashcam publishes the emergency live link of this event itself */
  liveFromDevice?: boolean;
  trace?: { hz: number; start: string; axes: string[]; unit: string; samples: Array<[number, number, number]> };
}

/** The device's user settings (GET/PATCH /settings). */
export interface DeviceSettingsJson {
  eventBeforeSeconds: number;
  eventAfterSeconds: number;
  cabinAudio: boolean;
  gpsHz: number;
}

/** What a clip or footage download says about itself (device headers X-Clip-*). */
export interface ClipHeaders {
  start: number | null;
  end: number | null;
  partial: boolean;
  etag: string | null;
}

export const isoToMicros = (s: string | null | undefined): number | null => {
  if (!s) return null;
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}:?\d{2})$/.exec(s);
  if (!m) return null;
  return Date.parse(`${m[1]}${m[3]}`) * 1000 + (m[2] ? Number(m[2].padEnd(6, '0')) : 0);
};

export const microsToIso = (us: number): string => {
  const ms = Math.floor(us / 1000);
  const rest = Math.round(us - ms * 1000);
  const iso = new Date(ms).toISOString();
  return rest ? iso.replace('Z', `${String(rest).padStart(3, '0')}Z`) : iso;
};

export class DeviceClient {
  readonly url: string;
  token: string | null;

  constructor(url: string, token: string | null = null) {
    this.url = url.replace(/\/+$/, '');
    this.token = token;
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Pairs with the code the device shows; keeps and returns the token. */
  async pair(code: string, name = 'ringclip-app'): Promise<string> {
    const r = await json<{ token: string }>(`${this.url}/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name }),
    });
    this.token = r.token;
    return r.token;
  }

  status(signal?: AbortSignal): Promise<DeviceStatus> {
    return json(`${this.url}/status`, { headers: this.#headers(), signal });
  }

  settings(signal?: AbortSignal): Promise<DeviceSettingsJson> {
    return json(`${this.url}/settings`, { headers: this.#headers(), signal });
  }

  /** Changes some of the device's settings; returns them all. */
  updateSettings(patch: Partial<DeviceSettingsJson>, signal?: AbortSignal): Promise<DeviceSettingsJson> {
    return json(`${this.url}/settings`, {
      method: 'PATCH',
      headers: this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(patch),
      signal,
    });
  }

  async drives(signal?: AbortSignal): Promise<{ current: number; drives: DeviceDrive[] }> {
    return json(`${this.url}/drives`, { headers: this.#headers(), signal });
  }

  /** The device's events; `trace: true` includes each one's G-sensor trace (the clip has it too). */
  async events(
    options: { unacknowledged?: boolean; trace?: boolean; signal?: AbortSignal } = {},
  ): Promise<DeviceEventJson[]> {
    const q = `?trace=${options.trace === true}${options.unacknowledged ? '&unacknowledged=true' : ''}`;
    return (
      await json<{ events: DeviceEventJson[] }>(`${this.url}/events${q}`, {
        headers: this.#headers(),
        signal: options.signal,
      })
    ).events;
  }

  async ack(id: string, signal?: AbortSignal): Promise<DeviceEventJson> {
    return json(`${this.url}/events/${encodeURIComponent(id)}/ack`, {
      method: 'POST',
      headers: this.#headers(),
      signal,
    });
  }

  /** Downloads an event's clip (road + cabin MP4) to `path`. */
  async eventClip(
    id: string,
    path: string,
    options: { onProgress?: Progress; signal?: AbortSignal } = {},
  ): Promise<ClipHeaders & { bytes: number }> {
    const res = await request(`${this.url}/events/${encodeURIComponent(id)}/clip`, {
      headers: this.#headers(),
      signal: options.signal,
    });
    const h = clipHeaders(res);
    return { ...h, bytes: await saveBody(res, path, options.onProgress) };
  }

  footageUrl(from: number, to: number, streams?: string[], partial = true): string {
    const q = new URLSearchParams({ from: microsToIso(from), to: microsToIso(to) });
    if (streams?.length) q.set('streams', streams.join(','));
    if (partial) q.set('partial', 'true');
    return `${this.url}/footage?${q}`;
  }

  /** Downloads footage still in device memory as an MP4 cut (keyframe-aligned). */
  async footage(
    from: number,
    to: number,
    path: string,
    options: { streams?: string[]; onProgress?: Progress; signal?: AbortSignal } = {},
  ): Promise<ClipHeaders & { bytes: number }> {
    const res = await request(this.footageUrl(from, to, options.streams), {
      headers: this.#headers(),
      signal: options.signal,
    });
    const h = clipHeaders(res);
    return { ...h, bytes: await saveBody(res, path, options.onProgress) };
  }

  /** The live fragmented MP4 of the given streams (one response, both tracks). */
  async live(streams: string[], signal?: AbortSignal): Promise<Response> {
    return request(`${this.url}/live?streams=${encodeURIComponent(streams.join(','))}`, {
      headers: this.#headers(),
      signal,
    });
  }
}

function clipHeaders(res: Response): ClipHeaders {
  return {
    start: isoToMicros(res.headers.get('x-clip-start')),
    end: isoToMicros(res.headers.get('x-clip-end')),
    partial: res.headers.get('x-clip-partial') === 'true',
    etag: res.headers.get('etag'),
  };
}
