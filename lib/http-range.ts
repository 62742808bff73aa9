/**
 * One reading of HTTP byte ranges and conditional requests (RFC 9110 §13, §14) for anything
 * that serves a file of known size and ETag (a VirtualMP4, a stored clip): the device's
 * Wi-Fi API and the cloud both answer from it, so they cannot disagree on an edge case.
 * It decides status, byte range and headers; sending the bytes is the server's job.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The file being served: its size, its strong ETag, and when it last changed. */
export interface RangeRepresentation {
  size: number;
  /** A strong entity tag; quoted if it is not already (`abc` → `"abc"`). */
  etag: string;
  /** ms since the epoch (or a Date): sent as Last-Modified, compared by If-Modified-Since / If-Range. */
  lastModified?: number | Date;
}

/** What to answer: the status, bytes [start, end) of the file to send, and the headers that go with them. */
export interface RangeResponse {
  status: 200 | 206 | 304 | 416;
  start: number;
  /** exclusive */
  end: number;
  headers: Record<string, string>;
}

type Parsed = { start: number; end: number } | 'whole' | 'unsatisfiable';

/**
 * `Range: bytes=a-b | a- | -n` of a `size`-byte file. A header that is not one valid bytes
 * range (another unit, several ranges, `bytes=5-2`, garbage) is ignored: the whole file
 * (RFC 9110 §14.2 lets a server ignore Range). A valid range that starts past the end, a
 * suffix of 0 bytes, or any range of an empty file is unsatisfiable (416).
 */
function parseRange(header: string, size: number): Parsed {
  const unit = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!unit) return 'whole';
  const m = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(unit[1]!);
  if (!m || (m[1] === '' && m[2] === '')) return 'whole';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size };
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < first) return 'whole';
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: Math.min(last + 1, size) };
}

/** A header Node gives as a list (repeated lines) counts by its first value. */
const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
const quote = (etag: string) => (etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`);
const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
const httpDate = (t: number | Date) => new Date(t).toUTCString();
const seconds = (t: number | Date) => Math.floor(new Date(t).getTime() / 1000);

/**
 * The answer to a GET or HEAD of `file` with these request headers (Node's lower-case names):
 * If-None-Match (weak comparison, `*`) → 304; else If-Modified-Since not older than the file
 * → 304; Range (see above), honoured only when If-Range is absent or names this very file
 * (its strong ETag, or exactly its Last-Modified date) → 206 or 416; otherwise 200.
 */
export function rangeResponse(request: IncomingHttpHeaders, file: RangeRepresentation): RangeResponse {
  const etag = quote(file.etag);
  const validators: Record<string, string> = { etag };
  if (file.lastModified !== undefined) validators['last-modified'] = httpDate(file.lastModified);
  const headers: Record<string, string> = { ...validators, 'accept-ranges': 'bytes' };

  const inm = one(request['if-none-match']);
  if (inm !== undefined) {
    if (inm.split(',').some((t) => t.trim() === '*' || opaque(t) === opaque(etag)))
      return { status: 304, start: 0, end: 0, headers: validators };
  } else {
    const ims = Date.parse(one(request['if-modified-since']) ?? '');
    if (file.lastModified !== undefined && !Number.isNaN(ims) && seconds(file.lastModified) <= seconds(ims)) {
      return { status: 304, start: 0, end: 0, headers: validators };
    }
  }

  const whole: RangeResponse = {
    status: 200,
    start: 0,
    end: file.size,
    headers: { ...headers, 'content-length': String(file.size) },
  };
  const range = one(request.range);
  if (range === undefined) return whole;
  const ifRange = one(request['if-range'])?.trim();
  if (ifRange !== undefined) {
    const current =
      ifRange.startsWith('"') || ifRange.startsWith('W/')
        ? ifRange === etag && !etag.startsWith('W/')
        : ifRange === validators['last-modified'];
    if (!current) return whole; // the client's copy is of another version: send this one whole
  }
  const parsed = parseRange(range, file.size);
  if (parsed === 'whole') return whole;
  if (parsed === 'unsatisfiable')
    return { status: 416, start: 0, end: 0, headers: { ...headers, 'content-range': `bytes */${file.size}` } };
  return {
    status: 206,
    start: parsed.start,
    end: parsed.end,
    headers: {
      ...headers,
      'content-range': `bytes ${parsed.start}-${parsed.end - 1}/${file.size}`,
      'content-length': String(parsed.end - parsed.start),
    },
  };
}
