/** An error with an HTTP status and a stable code, rendered as { error: { code, message } }. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const notFound = (what = 'clip') => new HttpError(404, 'not_found', `no such ${what}`);
export const badRequest = (message: string) => new HttpError(400, 'bad_request', message);
