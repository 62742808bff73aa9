/**
 * Every refusal has one shape, `{ error: { code, message } }`, whoever refuses: a route
 * (HttpError), the framework (Fastify's FST_ERR_* errors: body too large, bad JSON, a media
 * type no route takes) or Node's HTTP parser (a malformed request). Framework codes are
 * mapped to the API's own; clients never see an FST_ name.
 */
import type { Socket } from 'node:net';

/** Body limits per route (bytes): what each route needs, no more (see docs/cloud-api.md). */
export const BODY_LIMITS = {
  /** small JSON bodies (trim, share): a few fields */
  json: 16 * 1024,
  /**
   * clip metadata, which still carries the G-sensor trace: the largest the device makes is a
   * 10-minute manual clip's, 60,000 samples at 100 Hz, 1.64 MB as the app sends it
   * ([t, x, y, z], 3 decimals); 4 MiB leaves it room twice over.
   */
  metadata: 4 * 1024 * 1024,
} as const;

const BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'timeout',
  411: 'length_required',
  413: 'body_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  416: 'range',
  429: 'too_many_requests',
  431: 'headers_too_large',
};

/** Fastify's own errors that deserve a clearer message than the framework's. */
const MESSAGES: Record<string, (limit?: number) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (limit) =>
    `the body is larger than this route accepts${limit ? ` (${limit} bytes)` : ''}`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    'this route takes no body of this Content-Type (JSON routes take application/json)',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => 'the body is empty: send a JSON object, or no Content-Type',
  FST_ERR_CTP_INVALID_JSON_BODY: () => 'the body is not valid JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'Content-Length does not match the body',
  FST_ERR_MAX_PARAM_LENGTH: () => 'a part of the path is too long (at most 100 characters)',
  FST_ERR_BAD_URL: () => 'the URL is not valid (a bad %-escape?)',
};

/** A 4xx error from the framework, as the API's code and message. */
export function frameworkRefusal(
  e: { statusCode: number; code?: string; message: string },
  limit?: number,
): { code: string; message: string } {
  const code =
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    (e.code === undefined && e.statusCode === 400 && /JSON/.test(e.message))
      ? 'invalid_json'
      : (BY_STATUS[e.statusCode] ?? 'bad_request');
  const message =
    (e.code && MESSAGES[e.code]?.(limit)) ?? (e.code?.startsWith('FST_') ? code.replace(/_/g, ' ') : e.message);
  return { code, message };
}

/** Node's HTTP parser refused the request (no route ever saw it): the same JSON shape. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({
    error: {
      code: BY_STATUS[status],
      message: status === 431 ? 'the request headers are too large' : 'the request is not valid HTTP',
    },
  });
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 431 ? 'Request Header Fields Too Large' : 'Request Timeout'}\r\n` +
      `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-content-type-options: nosniff\r\n` +
      `cache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
  );
}
