/** fetch with a clear error: every non-2xx answer becomes an HttpError with the server's message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Headers | null = null,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A request that did not reach the server or lost its connection. */
export class NetworkError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new NetworkError(
      `${init.method ?? 'GET'} ${url}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`,
      err,
    );
  }
  if (res.ok || res.status === 304) return res;
  const text = await res.text().catch(() => '');
  let code = 'http_error',
    message = text || res.statusText;
  try {
    const j = JSON.parse(text) as { error?: string | { code?: string; message?: string }; message?: string };
    if (typeof j.error === 'string') {
      code = j.error;
      message = j.message ?? message;
    } else if (j.error && typeof j.error === 'object') {
      code = j.error.code ?? code;
      message = j.error.message ?? message;
    }
  } catch {
    /* not JSON */
  }
  throw new HttpError(
    res.status,
    code,
    `${init.method ?? 'GET'} ${new URL(url).pathname}: ${res.status} ${message}`,
    res.headers,
  );
}

export async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await request(url, init);
  return (await res.json()) as T;
}
