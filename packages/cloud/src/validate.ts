/** Validation of everything a client sends: ids, metadata, list filters, trim requests. */
import { badRequest } from './errors.js';
import type { ClipMeta, Location } from './meta.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A clip id: a UUID chosen by the client (case-insensitive, stored lower-case). */
export function clipId(v: unknown): string {
  const s = typeof v === 'string' ? v.toLowerCase() : '';
  if (!UUID.test(s))
    throw badRequest(
      `clip ids are UUIDs (like 3f2b8c1e-9d4a-4c57-8e0f-1a2b3c4d5e6f), got ${JSON.stringify(String(v).slice(0, 60))}`,
    );
  return s;
}
export const isUuid = (v: string) => UUID.test(v);

export const KIND = /^[a-z][a-z0-9_-]{0,31}$/;

function finite(v: unknown, what: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw badRequest(`${what} must be a number between ${min} and ${max}`);
  return v;
}

export function parseTime(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.round(v);
  if (typeof v === 'string') {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw badRequest(`${what} must be an ISO 8601 time (like 2026-01-01T12:00:00Z) or ms since the epoch`);
}

/** The metadata document of PUT /v1/clips/:id/metadata (without the legacy gsensor, which is checked and dropped). */
export function clipMeta(body: unknown, maxTrace: number): ClipMeta {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('metadata must be a JSON object');
  const b = body as Record<string, unknown>;
  const allowed = new Set(['kind', 'time', 'eventOffset', 'location', 'gsensor', 'title']);
  for (const k of Object.keys(b))
    if (!allowed.has(k)) throw badRequest(`unknown metadata field '${k}': allowed are ${[...allowed].join(', ')}`);
  const m: ClipMeta = {};
  if (b.kind !== undefined) {
    if (typeof b.kind !== 'string' || !KIND.test(b.kind))
      throw badRequest(
        `kind must be a short lower-case word like hard_brake, collision or manual (letters, digits, _ and -), got ${JSON.stringify(b.kind)}`,
      );
    m.kind = b.kind;
  }
  if (b.time !== undefined) m.time = parseTime(b.time, 'time');
  if (b.eventOffset !== undefined)
    m.eventOffset = finite(b.eventOffset, 'eventOffset (seconds into the clip)', 0, 86400);
  if (b.title !== undefined) {
    if (typeof b.title !== 'string' || b.title.length > 200)
      throw badRequest('title must be a string of at most 200 characters');
    m.title = b.title;
  }
  if (b.location !== undefined && b.location !== null) {
    const l = b.location as Record<string, unknown>;
    if (typeof l !== 'object' || Array.isArray(l))
      throw badRequest('location must be an object { lat, lon, accuracy?, heading?, speed?, altitude? }');
    const loc: Location = {
      lat: finite(l.lat, 'location.lat', -90, 90),
      lon: finite(l.lon, 'location.lon', -180, 180),
    };
    for (const k of ['accuracy', 'heading', 'speed', 'altitude'] as const)
      if (l[k] !== undefined) loc[k] = finite(l[k], `location.${k}`);
    for (const k of Object.keys(l))
      if (!['lat', 'lon', 'accuracy', 'heading', 'speed', 'altitude'].includes(k))
        throw badRequest(`unknown location field '${k}'`);
    m.location = loc;
  }
  // gsensor is a legacy field: older apps send the event's G-sensor trace here. It is still
  // checked (a malformed one is a 400, as before) but not kept: a clip's telemetry is read
  // from its file's camm track (GET /v1/clips/:id/telemetry), so no row grows with a trace.
  if (b.gsensor !== undefined && b.gsensor !== null) {
    const g = b.gsensor;
    if (!Array.isArray(g))
      throw badRequest('gsensor must be an array of [t, x, y, z] samples (t: seconds from the clip start; x, y, z: g)');
    if (g.length > maxTrace) throw badRequest(`gsensor has ${g.length} samples: at most ${maxTrace} are allowed`);
    let last = -Infinity;
    (g as unknown[]).forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== 4 || !s.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw badRequest(`gsensor[${i}] must be [t, x, y, z] with finite numbers`);
      }
      if ((s as number[])[0] < last) throw badRequest(`gsensor[${i}]: times must not go backwards`);
      last = (s as number[])[0]!;
    });
  }
  return m;
}

export function intParam(v: unknown, what: string, min: number, max: number, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw badRequest(`${what} must be a whole number from ${min} to ${max}`);
  return n;
}
